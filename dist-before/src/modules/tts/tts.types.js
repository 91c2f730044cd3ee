import { EventEmitter } from 'node:events';
/** A speech engine: one sentence in, one WAV byte stream out (its header may carry placeholders). */
export class TtsProvider {
}
export var TtsEvent;
(function (TtsEvent) {
    /** A child process started: { pid, requestId }. */
    TtsEvent["Spawn"] = "spawn";
    /** A child process ended: { pid, requestId, code, signal }. */
    TtsEvent["Exit"] = "exit";
    /** The first audio bytes went out: { requestId }. */
    TtsEvent["FirstAudio"] = "first-audio";
    /** Every sentence synthesised: { requestId, pcmBytes }. */
    TtsEvent["SynthesisDone"] = "synthesis-done";
})(TtsEvent || (TtsEvent = {}));
/** What the TTS pipeline does, observable (tests and diagnostics). */
export class TtsEvents extends EventEmitter {
}
//# sourceMappingURL=tts.types.js.map