/**
 * Missed Call Recovery core: the loop (detect, acknowledge, classify, route, recover) as framework-free
 * TypeScript. The n8n and Node-RED nodes are thin adapters over these exports.
 */
export * from './model';
export * from './errors';
export { redactPayload, scrubSecrets } from './redact';
export { tryE164, toE164, phoneInfo, maskPhone, stripChannel, type PhoneInfo } from './phone';
export {
	normalize,
	checkBodyShape,
	WEBHOOK_LIMITS,
	GenericMappingSchema,
	type GenericMapping,
	type NormalizeOptions,
	type Normalized,
} from './normalize';
export {
	parseProfile,
	ProfileSchema,
	DEFAULT_MESSAGES,
	DAYS,
	type Profile,
	type ProfileInput,
	type RosterMember,
	AssistantSchema,
	type AssistantConfig,
	type IntakeQuestion,
} from './profile/schema';
export { timingOf, isOpenAt, nextOpening, describeOpening, isOnCall, addBusinessMinutes } from './profile/timing';
export {
	planAcknowledgment,
	renderAcknowledgment,
	quietHoursRelease,
	keywordOf,
	countSegments,
	renderTemplate,
	sanitizeCallerText,
	messageView,
	type AckPlan,
	type AckContext,
	type LineType,
	type SkipReason,
} from './acknowledge';
export { classify, type Classification, type ClassifyInput } from './classify';
export {
	classifyKeyword,
	normalizeText,
	revocationIn,
	type ClassifyOptions,
	type KeywordMatch,
	type OptOutKeyword,
	type OptOutLanguage,
} from './optout';
export { PRESETS, TRADES, SAFETY_WORDS, type Trade, type TradePreset } from './classify/presets';
export {
	askModelFor,
	buildMessages,
	defaultPrompt,
	mergeModel,
	MODEL_TIMEOUT_MS,
	ModelAnswerError,
	ModelTimeoutError,
	outputSchemaFor,
	parseModelAnswer,
	promptFor,
	type AskModel,
	type ModelAnswer,
	type ModelClassification,
	type ModelMessage,
	type ModelOutputSchema,
	type TradePrompt,
} from './classify/model';
export {
	route,
	escalate,
	deadlineFor,
	type RouteDecision,
	type EscalationDecision,
	type Owner,
	type RouteState,
} from './route';
export * as cases from './track/case';
export { MOVES } from './track/case';
export {
	computeMetrics,
	scorecard,
	percentiles,
	type Metrics,
	type Scorecard,
	type CheckResult,
} from './track/metrics';
export {
	openStore,
	StoreConfigSchema,
	SqlStore,
	SCHEMA_VERSION,
	type StoreConfig,
	type RecoveryStore,
	type CaseFilter,
	type MessageRecord,
} from './store';
export {
	ProviderError,
	withRetry,
	classifyFailure,
	FINAL_CODES,
	DEFAULT_RETRY,
	type MessagingProvider,
	type SendRequest,
	type SentMessage,
	type SentMessageQuery,
	type CallRequest,
	type RetryPolicy,
	type FailureKind,
} from './provider';
export { TwilioProvider, validateAccount, type TwilioAccount } from './twilio/client';
export {
	verifyWebhook,
	safeEqual,
	sign as signWebhook,
	SIGNATURE_SCHEMES,
	SIGNATURE_TOLERANCE_SEC,
	ELEVENLABS_TOLERANCE_SEC,
	type VerifyResult,
	type WebhookProof,
} from './signatures';
export {
	validateTwilioSignature,
	signTwilioRequest,
	publicUrl,
	type SignatureCheck,
	type SignatureResult,
} from './twilio/signature';
export { forwardTwiml, voicemailTwiml, emptyTwiml, messageTwiml, bridgeTwiml } from './twilio/twiml';
export {
	RecoveryLoop,
	PIPELINE,
	type LoopDeps,
	type AckOutcome,
	type TickCase,
	type TickOptions,
	type TickReport,
	type TickPreview,
	type RouteAndNotifyResult,
	type DetectResult,
	type ClassifyResult,
	type RouteResult,
	type FollowUpResult,
	type ConnectCallerResult,
	type OwnerAlertSummary,
} from './loop';
export { planOwnerAlert, planOverdue, ownerText } from './notify';
export { hazardsIn, HAZARDS, DEFAULT_SAFETY_STEPS, type Hazard } from './safety';
export {
	answerWebhook,
	parseWebhookBody,
	type TriggerConfig,
	type TriggerEvent,
	type WebhookAnswer,
	type WebhookRequest,
} from './trigger';
export {
	renderReport,
	buildReport,
	REPORT_PERIODS,
	type ReportProtection,
	type ReportFilter,
	type VoiceAiFigures,
	type OpenCaseRow,
	type RenderReportOptions,
	type ReportBusiness,
	type BuildReportOptions,
	type BuiltReport,
} from './report';
export { callerTextCosts, describeTextCosts, type TextCost } from './acknowledge/preview';
export * from './assistant';
