import { BaseError, type BaseErrorOptions } from '../../shared/errors.js';

/** The error names QingCloud puts before the comma of a message (`PermissionDenied, ...`), by ret_code. */
const ERROR_NAMES: Readonly<Record<number, string>> = {
  1100: 'InvalidParameter',
  1101: 'InvalidAction',
  1200: 'AuthFailure',
  1300: 'RequestExpired',
  1400: 'PermissionDenied',
  2100: 'ResourceNotFound',
  2110: 'ResourceAlreadyExists',
  2500: 'QuotaExceeded',
  5000: 'InternalError',
  5100: 'ServerBusy',
};

/** An API error the simulator answers with: HTTP 200, `{ret_code, message}` (qingcloud-api.md §3.1). */
export class SimApiError extends BaseError {
  constructor(
    readonly retCode: number,
    detail: string,
    options: BaseErrorOptions = {},
  ) {
    super(`SIM_RET_${retCode}`, `${ERROR_NAMES[retCode] ?? 'Error'}, ${detail}`, options);
  }
}

/** 1100: a parameter is missing or malformed. */
export function invalidParam(detail: string): SimApiError {
  return new SimApiError(1100, detail);
}

/** 2100 on a mutating call: the exact wording hostnic matches (`ResourceNotFound`). */
export function notFound(id: string): SimApiError {
  return new SimApiError(2100, `resource [${id}] not found`);
}

/** 1400: the resource's state forbids the operation. */
export function denied(detail: string): SimApiError {
  return new SimApiError(1400, detail);
}

/** 1400 with "please try later": the resource is in the middle of a transition (clients retry it). */
export function tryLater(id: string, transition: string): SimApiError {
  return new SimApiError(1400, `resource [${id}] is [${transition}], please try later`);
}

/** 2500: an account quota or the API-call quota is exhausted. */
export function quotaExceeded(detail: string): SimApiError {
  return new SimApiError(2500, detail);
}

/** The state file exists but cannot be used; the simulator never resets it silently. */
export class SimStateFileError extends BaseError {
  constructor(path: string, problem: string, options: BaseErrorOptions = {}) {
    super(
      'SIM_STATE_FILE_INVALID',
      `simulator state file ${path} ${problem}; fix or move it away (a new world is only created when the file does not exist)`,
      options,
    );
  }
}

/** A seed (object or YAML) does not follow the schema in seed.sample.yaml. */
export class SimSeedError extends BaseError {
  constructor(problem: string, options: BaseErrorOptions = {}) {
    super('SIM_SEED_INVALID', `simulator seed is invalid: ${problem}; see src/qingcloud/sim/seed.sample.yaml for the schema`, options);
  }
}

/** Bad command-line usage of qingcloud-sim. */
export class SimUsageError extends BaseError {
  constructor(problem: string) {
    super('SIM_USAGE', `${problem}; run qingcloud-sim --help for usage`);
  }
}
