import { describeTelemetry } from './support/scenarios.js';
import { yoga } from './support/transports.js';

describeTelemetry(yoga);
