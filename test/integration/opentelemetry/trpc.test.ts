import { describeTelemetry } from './support/scenarios.js';
import { trpc } from './support/trpc-transport.js';

describeTelemetry(trpc);
