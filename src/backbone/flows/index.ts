export { flowDiagram, type FlowDiagramOptions, type FlowParticipant } from './flow-diagram.ts';
