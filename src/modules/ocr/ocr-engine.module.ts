import { Module } from '@nestjs/common';
import { OcrEngine, TesseractCliEngine } from './ocr.engine.js';

/** The OCR engine alone, for the features that recognise text (uploads, /v1/ocr, the ocr job). */
@Module({
  providers: [{ provide: OcrEngine, useClass: TesseractCliEngine }],
  exports: [OcrEngine],
})
export class OcrEngineModule {}
