/**
 * The service-manager calls `agent-relay service` makes, behind one small interface (systemd and launchd
 * implement it), so tests can run them against a real user manager or a stand-in on PATH.
 */
export interface ServiceState {
  /** The manager knows the service (systemd: the unit is loaded from its file; launchd: it is bootstrapped). */
  loaded: boolean;
  running: boolean;
  pid?: number;
  /** The manager's own words, e.g. "active (running), enabled" or "not loaded". */
  summary: string;
}

export interface ServiceManager {
  /** "systemd user manager" / "launchd (gui/501)". */
  readonly description: string;
  /** After the unit file is written: make the manager read it, start it at login, and (re)start it now. */
  activate(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Before the unit file is removed: stop it and make the manager forget it. Succeeds when it was not loaded. */
  deactivate(): Promise<void>;
  /** After the unit file is removed. */
  forget(): Promise<void>;
  state(): Promise<ServiceState>;
  /** Shows recent log lines (and follows them); resolves with the exit status of the log command. */
  showLogs(follow: boolean): Promise<number>;
  /** Advice for this machine, e.g. about lingering for systemd without a desktop session. */
  hints(): Promise<string[]>;
}
