export { createRtgsGatewayService, rtgsGatewayConsumerName, type RtgsGatewayService } from './rtgs-gateway-service.ts';
export {
  resolveRtgsGatewayOptions,
  type RtgsGatewayOptions,
  type StatusChaserOptions,
  type ResolvedRtgsGatewayOptions,
} from './options.ts';
export { RtgsStatusChaser, type ChaseRound } from './status-chaser.ts';
export { RtgsNetworkClient, RtgsNetworkError, RtgsNetworkErrorCodes, type CircuitBreakerOptions } from './network-client.ts';
export { decideOnStatus, outcomeOfStatus, type StatusDecision, type SubmissionState } from './domain/status-decision.ts';
export { rtgsMigrations } from './migrations.ts';
export { latestSubmissions, type LatestSubmission } from './queries.ts';
export { RtgsProtocol } from '../../contracts/iso20022/rtgs-protocol.ts';
