import { Injectable, PipeTransform } from '@nestjs/common';
import { badRequest } from '../../common/filters/problem.js';
import { FLAG_KEYS, isFlagKey, type FlagKey } from './flag-key.js';

/** A path's flag key must be one the code knows: anything else is 400 before any query runs. */
@Injectable()
export class FlagKeyPipe implements PipeTransform<string, FlagKey> {
  transform(value: string): FlagKey {
    if (!isFlagKey(value)) throw badRequest('unknown flag key', { key: [`must be one of: ${FLAG_KEYS.join(', ')}`] });
    return value;
  }
}
