import { OperationConflictError } from '../../shared/inflight.js';
import { messageOf } from '../../shared/errors.js';
import { isNetOpsError } from '../net/net-error.js';
import { CNI_ERROR, CniError } from '../types.js';
import { LinkWaitTimeoutError } from './links.js';
import { isNicError } from './nic-provider.js';

/**
 * Any failure of a verb → the CniError the plugin prints (protocol.ts lists the codes): cloud failures are 103 (a busy
 * cloud 11, so the runtime retries), a request value NetOps refuses 7, a conflicting operation on the same pod 11,
 * everything else 999. `what` names the verb and the pod.
 */
export function toCniError(err: unknown, what: string): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof OperationConflictError) {
    return new CniError(CNI_ERROR.TryAgainLater, `${what}: another operation on the same pod is still running (${err.runningKey}); retry when it has finished`, undefined, { cause: err });
  }
  if (isNicError(err, 'Busy')) return new CniError(CNI_ERROR.TryAgainLater, `${what}: the QingCloud API is busy: ${err.message}`, undefined, { cause: err });
  if (isNicError(err)) return new CniError(CNI_ERROR.CloudError, `${what}: the QingCloud API failed: ${err.message}`, undefined, { cause: err });
  if (isNetOpsError(err, 'InvalidArgument')) return new CniError(CNI_ERROR.InvalidNetworkConfig, `${what}: ${err.message}`, undefined, { cause: err });
  if (err instanceof LinkWaitTimeoutError) return new CniError(CNI_ERROR.Internal, `${what}: ${err.message}`, undefined, { cause: err });
  return new CniError(CNI_ERROR.Internal, `${what}: ${messageOf(err)}`, undefined, { cause: err });
}
