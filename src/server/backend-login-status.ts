/**
 * Whether the backend's own login works, as the last requests showed: /health turns degraded when the
 * backend reported it is not logged in, and stays so until a request succeeds again.
 */
import type { RelayError } from "../core/relay-error.ts";

export class BackendLoginStatus {
  private problem: string | undefined;

  /** Records a failed request; only login failures of the backend matter here. */
  noteFailure(error: RelayError): void {
    if (error.kind === "backend_authentication") this.problem = error.message;
  }

  /** Records a request the backend answered: its login works. */
  noteSuccess(): void {
    this.problem = undefined;
  }

  /** Why the backend cannot log in, while that is the latest news. */
  get reason(): string | undefined {
    return this.problem;
  }
}
