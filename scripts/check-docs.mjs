// Type-checks every TypeScript code block of README.md and docs/*.md, as a user would compile it.
//
// Each ```ts / ```typescript block becomes its own ES module under .docs-check/<document>/, named
// by an HTML comment on the line just before its fence (`<!-- file: server.ts -->`), or else
// `block-<n>.ts` (n counts the TypeScript blocks of that document from 1). A block uses what another
// block of the same document declares only by importing it: `import { redis } from './redis.js'`.
// Imports of `idempotent-mutations` and its subpaths resolve to the source entry files (the ones
// tsup builds each export from), every other import resolves from node_modules. The modules are
// compiled together with `tsc --noEmit` settings: module and moduleResolution NodeNext, strict,
// target ES2022, ESM (so top-level await is allowed).
//
// It also checks that every test path a document cites (`test/…`, a file or a folder) exists, so a
// moved or renamed test cannot leave a guarantee pointing at nothing.
//
// Usage: node scripts/check-docs.mjs [--keep] [file.md …]   (default: README.md and docs/*.md)
// Exits 1 with `file.md:line:column` of the offending block line for every error, and then leaves
// .docs-check/ in place (as --keep does after a success): `npx tsc -p .docs-check` repeats the check.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, '.docs-check');

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)?.*$/;
const FILE_MARKER = /^\s*<!--\s*file:\s*([A-Za-z0-9_][A-Za-z0-9_.-]*\.m?ts)\s*-->\s*$/;
const TYPESCRIPT = new Set(['ts', 'typescript']);

/** The TypeScript blocks of one Markdown text: name, code, the line (1-based) of its first code line, its indentation. */
function extractBlocks(markdown) {
  const lines = markdown.split(/\r?\n/);
  const blocks = [];
  let unnamed = 0;
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]);
    if (!open) continue;
    const [, indent, fence, info = ''] = open;
    const closing = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    let end = index + 1;
    while (end < lines.length && !closing.test(lines[end])) end++;
    if (TYPESCRIPT.has(info.toLowerCase())) {
      const code = lines.slice(index + 1, end).map((line) => stripIndent(line, indent.length));
      const marker = FILE_MARKER.exec(previousNonBlank(lines, index) ?? '');
      blocks.push({
        name: marker ? marker[1] : `block-${++unnamed}.ts`,
        code: code.join('\n') + '\n',
        firstLine: index + 2,
        indent: indent.length,
      });
    }
    index = end; // a fence inside a fence is content, not a block
  }
  return blocks;
}

function stripIndent(line, width) {
  let cut = 0;
  while (cut < width && line[cut] === ' ') cut++;
  return line.slice(cut);
}

/** The nearest line above `index` that is not blank, if it is directly above the fence or above blank lines only. */
function previousNonBlank(lines, index) {
  for (let above = index - 1; above >= 0; above--) if (lines[above].trim() !== '') return lines[above];
  return undefined;
}

/** `idempotent-mutations` subpaths → source entry files, from package.json `exports` and tsup's `entry`. */
function packagePaths() {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const tsup = readFileSync(path.join(root, 'tsup.config.ts'), 'utf8');
  const entrySource = /entry:\s*{([^}]*)}/.exec(tsup)?.[1] ?? '';
  const entries = new Map(
    [...entrySource.matchAll(/['"]?([\w-]+)['"]?\s*:\s*['"]([^'"]+)['"]/g)].map(([, name, file]) => [name, file]),
  );
  const paths = {};
  for (const [subpath, conditions] of Object.entries(pkg.exports)) {
    const target = conditions?.import?.default;
    if (typeof target !== 'string') continue; // ./package.json
    const entry = entries.get(path.basename(target, '.js'));
    if (!entry) throw new Error(`check-docs: no tsup entry builds ${target} (export "${subpath}")`);
    paths[subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`] = [
      path.relative(outDir, path.join(root, entry)),
    ];
  }
  return paths;
}

/** A cited test path: `test/` then path characters, not part of a longer path or URL. */
const TEST_PATH = /(?<![\w./-])test\/[\w./-]*[\w/-]/g;

/** `document.md:line: …` for every `test/…` path cited in `markdown` that is not in the repository. */
function missingTestPaths(markdown, relative) {
  const problems = [];
  markdown.split(/\r?\n/).forEach((line, index) => {
    for (const match of line.matchAll(TEST_PATH)) {
      if (!existsSync(path.join(root, match[0]))) {
        problems.push(`${relative}:${index + 1}:${match.index + 1}: cites ${match[0]}, which does not exist`);
      }
    }
  });
  return problems;
}

function documents(args) {
  if (args.length > 0) return args.map((file) => path.resolve(file));
  const docs = path.join(root, 'docs');
  const pages = readdirSync(docs)
    .filter((name) => name.endsWith('.md'))
    .sort();
  return [path.join(root, 'README.md'), ...pages.map((name) => path.join(docs, name))];
}

const keep = process.argv.includes('--keep');
const args = process.argv.slice(2).filter((arg) => arg !== '--keep');

function main() {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // ES modules: `.ts` files under a `"type": "module"` package.json are ESM under NodeNext.
  writeFileSync(path.join(outDir, 'package.json'), JSON.stringify({ private: true, type: 'module' }, null, 2) + '\n');

  const origins = new Map(); // generated file → { document, firstLine }
  const problems = [];
  let count = 0;
  for (const document of documents(args)) {
    const relative = path.relative(root, document);
    const folder = path.join(outDir, relative.replace(/\.md$/i, '').replace(/[^A-Za-z0-9_/-]/g, '_'));
    mkdirSync(folder, { recursive: true });
    const seen = new Map();
    const markdown = readFileSync(document, 'utf8');
    problems.push(...missingTestPaths(markdown, relative));
    for (const block of extractBlocks(markdown)) {
      if (seen.has(block.name)) {
        problems.push(
          `${relative}:${block.firstLine - 1}: a block named ${block.name} already exists (line ${seen.get(block.name) - 1})`,
        );
        continue;
      }
      seen.set(block.name, block.firstLine);
      const file = path.join(folder, block.name);
      writeFileSync(file, block.code);
      origins.set(path.resolve(file), { document: relative, firstLine: block.firstLine, indent: block.indent });
      count++;
    }
  }

  const config = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023', 'DOM', 'DOM.Iterable'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      moduleDetection: 'force',
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      resolveJsonModule: true,
      noEmit: true,
      types: ['node'],
      paths: packagePaths(),
    },
    include: ['**/*.ts', '**/*.mts', '**/*.tsx'],
  };
  writeFileSync(path.join(outDir, 'tsconfig.json'), JSON.stringify(config, null, 2) + '\n');

  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, outDir);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  for (const diagnostic of diagnostics) problems.push(describe(diagnostic, origins));

  if (problems.length > 0) {
    process.stderr.write(
      problems.join('\n') + `\n\ncheck-docs: ${problems.length} error(s) (TypeScript blocks: ${count}).\n`,
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`check-docs: ${count} TypeScript block(s) compile.\n`);
  // Left behind only on failure (or with --keep), so linters and editors do not pick up the copies.
  if (!keep) rmSync(outDir, { recursive: true, force: true });
}

/** A diagnostic as `document.md:line:column error TSxxxx: message`, pointing into the Markdown where it comes from a block. */
function describe(diagnostic, origins) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ');
  if (!diagnostic.file || diagnostic.start === undefined) return `error TS${diagnostic.code}: ${message}`;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const file = path.resolve(diagnostic.file.fileName);
  const origin = origins.get(file);
  const where = origin
    ? `${origin.document}:${origin.firstLine + line}:${character + 1 + origin.indent} (${path.relative(root, file)})`
    : `${path.relative(root, file)}:${line + 1}:${character + 1}`;
  return `${where} error TS${diagnostic.code}: ${message}`;
}

main();
