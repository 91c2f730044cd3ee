import { SetMetadata } from '@nestjs/common';

export const NO_TURN = 'rocker:no-turn';

/**
 * The route's answer is a long stream whose cost is an engine's, queued per org there (TTS): its
 * requests do not take their org's turn (Admission.turn), which would be held for the whole stream
 * and keep the org's other requests waiting behind it while the org is over its share.
 */
export const NoTurn = () => SetMetadata(NO_TURN, true);
