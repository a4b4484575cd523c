import * as path from "node:path"
import { sqlite, tempDir } from "./fake.js"
import { suite } from "./suite.js"

suite("SQLite", () => sqlite(path.join(tempDir(), "out.db")))
