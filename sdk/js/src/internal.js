// Symbols for the SDK's own access to object internals across its files (not public API).
export const handleOf = Symbol('inferlet.handle');
export const committedLength = Symbol('inferlet.committedLength');
export const setCommittedLength = Symbol('inferlet.setCommittedLength');
export const takeTrailingTokens = Symbol('inferlet.takeTrailingTokens');
export const flushBefore = Symbol('inferlet.flushBefore');
export const hasConversation = Symbol('inferlet.hasConversation');
export const endsWithCue = Symbol('inferlet.endsWithCue');
export const sendPass = Symbol('inferlet.sendPass');
export const matcherHandle = Symbol('inferlet.matcherHandle');
