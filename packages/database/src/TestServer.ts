/**
 * For tests (not in the index): a throwaway PostgreSQL 15 server for a test file: `initdb` and `pg_ctl` (Debian's
 * `postgresql` package) as the `postgres` user, in a temporary directory, on a free port of
 * 127.0.0.1, stopped by `stop`. Without the package the tests fail with one line naming it.
 *
 * @since 0.3.0
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

const BIN = process.env.STEPTRAIL_PG_BIN ?? "/usr/lib/postgresql/15/bin"

/**
 * @since 0.3.0
 * @category models
 */
export interface Server {
  readonly port: number
  readonly dir: string
  /** `postgres://postgres@127.0.0.1:PORT/DB`, a database made for the caller. */
  readonly url: (database: string) => string
  readonly createDatabase: (name: string) => void
  readonly psql: (database: string, sql: string) => string
  readonly stop: () => void
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

const asPostgres = (args: ReadonlyArray<string>, options: { input?: string } = {}) =>
  execFileSync("runuser", ["-u", "postgres", "--", ...args], { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 1 << 30, ...options })

/**
 * Starts a server; `stop` it after the tests.
 *
 * @since 0.3.0
 * @category constructors
 */
export const start = async (): Promise<Server> => {
  if (!fs.existsSync(path.join(BIN, "initdb"))) {
    throw new Error(`PostgreSQL 15 is not installed (${BIN}/initdb is missing): apt-get install -y postgresql`)
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-pg-"))
  fs.chmodSync(dir, 0o755)
  execFileSync("chown", ["postgres:postgres", dir])
  const data = path.join(dir, "data")
  asPostgres([path.join(BIN, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
  // passwords for the wrong-password test: md5 for TCP, trust for the postgres user's socket
  fs.writeFileSync(
    path.join(data, "pg_hba.conf"),
    "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
  )
  const port = await freePort()
  asPostgres([
    path.join(BIN, "pg_ctl"),
    "-D",
    data,
    "-l",
    path.join(dir, "log"),
    "-w",
    "-t",
    "30",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    "start"
  ])
  const psql = (database: string, sql: string) =>
    asPostgres([path.join(BIN, "psql"), "-h", dir, "-p", String(port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-Atq", "-f", "-"], {
      input: sql
    })
  return {
    port,
    dir,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    createDatabase: (name) => void psql("postgres", `CREATE DATABASE "${name}"`),
    psql,
    stop: () => {
      try {
        asPostgres([path.join(BIN, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"])
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}
