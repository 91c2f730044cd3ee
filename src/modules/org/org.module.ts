import { Module } from '@nestjs/common';
import { InvitationsController, MeController, OrgController } from './org.controller.js';
import { OrgRepository } from './org.repository.js';
import { OrgService } from './org.service.js';

@Module({
  controllers: [OrgController, InvitationsController, MeController],
  providers: [OrgService, OrgRepository],
})
export class OrgModule {}
