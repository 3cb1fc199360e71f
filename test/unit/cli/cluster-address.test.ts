// `--redis-cluster <node,…>` of the operators' CLI, read into the nodes and what they share.
// Origin (the errors never show a password): an adversarial review of the store clients and the CLI.
import { describe, expect, it } from 'vitest';
import { parseClusterAddress } from '../../../src/cli-store.js';

describe('parseClusterAddress', () => {
  it('reads URLs and host:port, the port defaulting to 6379', () => {
    expect(parseClusterAddress('redis://10.0.0.1:7000, 10.0.0.2:7001,redis-3,[::1]:7002')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-3', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      tls: false,
    });
  });

  it('gives every node the scheme and (decoded) credentials of the first', () => {
    expect(parseClusterAddress('rediss://ops:p%40ss@a:7000,b:7001,rediss://ops:p%40ss@c:7002/0')).toEqual({
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
        { host: 'c', port: 7002 },
      ],
      username: 'ops',
      password: 'p@ss',
      tls: true,
    });
  });

  it.each([
    ['http://a:7000', /"http:\/\/a:7000" is not a redis:\/\/ or rediss:\/\/ URL/],
    ['redis://a:7000/2', /"redis:\/\/a:7000" names a database; a Redis Cluster has only database 0/],
    ['redis://u:p@a:1,redis://u:q@b:2', /"redis:\/\/b:2" differs from the first node in scheme or credentials/],
    ['redis://a:1,rediss://b:2', /"rediss:\/\/b:2" differs from the first node/],
    ['a:1,,b:2', /"" has no host/],
    ['a:99999', /"a:99999" is neither/],
  ])('refuses %s', (list, message) => {
    expect(() => parseClusterAddress(list)).toThrow(message);
  });

  it.each([
    ['a node naming a database', 'redis://ops:S3CRET-PW@10.0.0.1:7000/2', '"redis://10.0.0.1:7000" names a database'],
    ['a node with another scheme', 'http://ops:S3CRET-PW@10.0.0.1:7000', '"http://10.0.0.1:7000" is not a redis://'],
    [
      'a second node with other credentials',
      'redis://ops:S3CRET-PW@10.0.0.1:7000,redis://ops:S3CRET-PW2@10.0.0.2:7000',
      '"redis://10.0.0.2:7000" differs from the first node',
    ],
    ['a node without a host', 'rediss://ops:S3CRET-PW@:7000', '"rediss://:7000" is neither'],
    ['a node that is no URL', 'redis://ops:S3CRET/PW@@10.0.0.1:99999', '"redis://10.0.0.1:99999" is neither'],
  ])('refuses %s naming its host and port, never its password', (_case, list, message) => {
    let error: Error | undefined;
    try {
      parseClusterAddress(list);
    } catch (thrown) {
      error = thrown as Error;
    }
    expect(error?.message).toContain(message);
    expect(error?.message).not.toContain('S3CRET');
  });
});
