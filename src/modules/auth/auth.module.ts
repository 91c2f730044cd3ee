import { Global, Module } from '@nestjs/common';
import { AuthRepository } from './auth.repository.js';
import { JwtVerifier } from './jwt-verifier.js';

@Global()
@Module({ providers: [JwtVerifier, AuthRepository], exports: [JwtVerifier, AuthRepository] })
export class AuthModule {}
