-- First start of the compose Postgres (pgvector/pgvector:pg15): the same roles scripts/setup.sh makes.
-- rocker_owner owns the schema and runs migrations; rocker_app is the service (NOBYPASSRLS, owns
-- nothing); rocker_auth owns only auth_context(). Passwords here are for local compose only:
-- production passwords come from the secret store.
CREATE ROLE rocker_owner LOGIN PASSWORD 'rocker_owner' NOSUPERUSER NOCREATEROLE NOCREATEDB;
CREATE ROLE rocker_app LOGIN PASSWORD 'rocker_app' NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS NOINHERIT;
CREATE ROLE rocker_auth NOLOGIN BYPASSRLS;
CREATE ROLE rocker_dispatch NOLOGIN NOBYPASSRLS;
-- the worker processes: the app role's grants plus the ingest dispatcher's functions
CREATE ROLE rocker_worker LOGIN PASSWORD 'rocker_worker' NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS INHERIT;
GRANT rocker_app TO rocker_worker;
GRANT rocker_auth TO rocker_owner;
GRANT rocker_dispatch TO rocker_owner;
CREATE DATABASE rocker OWNER rocker_owner;
\connect rocker
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
