/**
 * The provider registry: every provider the CLI offers, one line each. Subcommands, config-file
 * sources and completions are derived from these descriptors; a provider's implementation is
 * loaded only when an export asks for it.
 */
import * as Cloudflare from "@steptrail/cloudflare/Descriptor"
import type { ProviderDescriptor } from "@steptrail/core"
import * as Onepin from "@steptrail/onepin/Descriptor"
import * as Orchestra from "@steptrail/orchestra/Descriptor"
import * as Temporal from "@steptrail/temporal/Descriptor"

export const providers: ReadonlyArray<ProviderDescriptor.Descriptor> = [
  Cloudflare.descriptor,
  Orchestra.descriptor,
  Onepin.descriptor,
  Temporal.descriptor
]

export const byName = (name: string): ProviderDescriptor.Descriptor | undefined => providers.find((p) => p.name === name)
