import type { PaymentService, ServiceDeps } from '../service.ts';
import type { RequireScope } from '../http/scopes.ts';
import { complianceCaseMigrations } from './migrations.ts';
import { complianceCaseRoutes } from './routes.ts';

/** The compliance case queue and the officer's decision API (scope `ops`). */
export function createComplianceCasesService(deps: ServiceDeps, options: { requireScope: RequireScope }): PaymentService {
  return {
    name: 'compliance-cases',
    migrations: complianceCaseMigrations,
    consumers: [],
    routes: complianceCaseRoutes({ db: deps.db, publisher: deps.publisher, requireScope: options.requireScope }),
  };
}

export {
  openCase,
  openOrAttachToAccountCase,
  withdrawCase,
  toJsonText,
  fromJsonValue,
  type NewCase,
  type CaseWithdrawal,
  type CaseStage,
  type AccountCaseOutcome,
} from './cases.ts';
export { complianceCaseMigrations } from './migrations.ts';
