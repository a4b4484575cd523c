/**
 * The provider lists the CLI's help, completion, config and usage tests run over: the
 * registry (`Providers.ts`), and the registry with the guide's example provider
 * (`fixtures/Acme.ts`) registered here only. What a test expects of the providers it derives
 * from the list, so adding a provider to the registry breaks none of them.
 */
import type { ProviderDescriptor } from "@steptrail/core"
import * as Cli from "../src/Cli.js"
import { providers } from "../src/Providers.js"
import * as Acme from "./fixtures/Acme.js"

export interface Registry {
  readonly label: string
  readonly providers: ReadonlyArray<ProviderDescriptor.Descriptor>
  /** Its command tree as data. */
  readonly tree: ReturnType<Cli.Cli["spec"]>
}

const registry = (label: string, list: ReadonlyArray<ProviderDescriptor.Descriptor>): Registry => ({
  label,
  providers: list,
  tree: Cli.make(list).spec()
})

export const registries: ReadonlyArray<Registry> = [
  { label: "the registry", providers, tree: Cli.spec() },
  registry("the registry and Acme", [...providers, Acme.descriptor])
]

/** The providers as usage errors list them: `cloudflare, orchestra, onepin`. */
export const names = (list: ReadonlyArray<ProviderDescriptor.Descriptor>) => list.map((p) => p.name).join(", ")
