/**
 * @since 0.1.0
 */
export * as ErrorBody from "./ErrorBody.js"
export * as Json from "./Json.js"
export * as Metrics from "./Metrics.js"
export * as NodeExecution from "./NodeExecution.js"
export * as Pagination from "./Pagination.js"
export * as ProviderClient from "./ProviderClient.js"
export * as ProviderConfig from "./ProviderConfig.js"
export * as ProviderDescriptor from "./ProviderDescriptor.js"
export * as ProviderError from "./ProviderError.js"
export * as ProviderKit from "./ProviderKit.js"
export * as RateBudget from "./RateBudget.js"
export * as Retry from "./Retry.js"
export * as StatusTable from "./StatusTable.js"
export * as StepRecord from "./StepRecord.js"
export * as Timestamp from "./Timestamp.js"
export * as WorkflowProvider from "./WorkflowProvider.js"
