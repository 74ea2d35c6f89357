export { systemClock, uuidV7Ids, uuidV7, randomId, type Clock, type IdGenerator } from './clock.ts';
export { pooledRandomBytes } from './random-bytes.ts';
