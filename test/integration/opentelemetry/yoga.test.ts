import { describeTelemetry } from './support/scenarios.js';
import { yoga } from './support/yoga-transport.js';

describeTelemetry(yoga);
