import { Module } from '@nestjs/common';
import { OrgController } from './org.controller.js';
import { OrgRepository } from './org.repository.js';
import { OrgService } from './org.service.js';

@Module({ controllers: [OrgController], providers: [OrgService, OrgRepository] })
export class OrgModule {}
