/**
 * What the directives of one file set, before defaults and inheritance are applied (merge.ts).
 * A field left undefined means "not set here, inherit".
 */
import type {
  HttpSettings,
  Limits,
  ListenAddress,
  ReturnDirective,
  SessionSettings,
  SourcePos,
  Timeouts,
} from "./types.ts";

export interface LocationDraft {
  path: string;
  exact: boolean;
  settings: Partial<HttpSettings>;
  alias: string | null;
  return: ReturnDirective | null;
  pos: SourcePos;
}

export interface ServerDraft {
  settings: Partial<HttpSettings>;
  listen: ListenAddress[];
  serverNames: string[];
  locations: LocationDraft[];
  timeouts: Partial<Timeouts>;
  /** undefined: inherit from the main context; null: `access_log off`. */
  accessLog?: string | null;
  return: ReturnDirective | null;
  /** The session directives written in this server block. */
  sessions: Partial<SessionSettings>;
  pos: SourcePos;
}

export interface MainDraft {
  /** Absolute path of the configuration file. */
  file: string;
  accessLog?: string | null;
  limits?: Partial<Limits>;
  servers: ServerDraft[];
}
