export { Mosquitto, freePort, makeCerts, waitForPort, type Certs } from '../../src/hq/local-broker.js';
