-- First start of the compose Postgres (pgvector/pgvector:pg15): the same roles scripts/setup.sh makes.
-- rocker_owner owns the schema and runs migrations; rocker_app is the service (NOBYPASSRLS, owns
-- nothing); rocker_auth owns only auth_context(). Passwords here are for local compose only:
-- production passwords come from the secret store.
CREATE ROLE rocker_owner LOGIN PASSWORD 'rocker_owner' NOSUPERUSER NOCREATEROLE NOCREATEDB;
CREATE ROLE rocker_app LOGIN PASSWORD 'rocker_app' NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS NOINHERIT;
CREATE ROLE rocker_auth NOLOGIN BYPASSRLS;
GRANT rocker_auth TO rocker_owner;
CREATE DATABASE rocker OWNER rocker_owner;
\connect rocker
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
