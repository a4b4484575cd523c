/**
 * A file system failure as a few words a person reads (`no such directory`, `permission
 * denied`), from the system's error code or `@effect/platform`'s `SystemError` reason.
 *
 * @internal
 */

const byCode: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "is a directory",
  ENOTDIR: "a part of the path is not a directory",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EEXIST: "already exists",
  EBUSY: "busy"
}

/** `@effect/platform`'s reasons, for a `SystemError` that carries no code. */
const byReason: Readonly<Record<string, string>> = {
  PermissionDenied: "permission denied",
  AlreadyExists: "already exists",
  Busy: "busy",
  TimedOut: "timed out",
  WouldBlock: "would block",
  BadResource: "not a usable file"
}

/**
 * `missing` is what a `ENOENT` means where it happened: creating a file (its directory is
 * missing) or reading one (the file itself is).
 */
export const describe = (error: unknown, missing = "no such directory"): string => {
  const e = error as { code?: unknown; cause?: { code?: unknown }; reason?: unknown; message?: unknown } | null
  const code = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : undefined
  if (code === "ENOENT" || (code === undefined && e?.reason === "NotFound")) return missing
  if (code !== undefined) return byCode[code] ?? code
  if (typeof e?.reason === "string" && byReason[e.reason] !== undefined) return byReason[e.reason]!
  return String(e?.message ?? e?.reason ?? error).split("\n")[0]!
}
