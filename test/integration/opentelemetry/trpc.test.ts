import { describeTelemetry } from './support/scenarios.js';
import { trpc } from './support/transports.js';

describeTelemetry(trpc);
