import { Injectable, PipeTransform } from '@nestjs/common';
import { badRequest } from '../filters/problem.js';
import { isUuid } from '../uuid.js';

/** Path ids must be uuids: a bad one is 400 before any query runs. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUuid(value)) throw badRequest('id must be a uuid');
    return value.toLowerCase();
  }
}
