"""The OpenAPI document of the HTTP API, served at /v1/openapi.json and used by the tests."""

from __future__ import annotations

from . import __version__

_TEXTS = {"type": "object", "required": ["de", "en"], "properties": {
    "de": {"type": "string"}, "en": {"type": "string"}}}
_CONTACT = {"type": "object", "required": ["name", "email", "url"], "properties": {
    "name": {"type": "string"}, "email": {"type": "string"}, "url": {"type": "string"},
    "role": {}}}
_TEXTS_LISTS = {"type": "object", "properties": {
    "de": {"type": "array", "items": {"type": "string"}},
    "en": {"type": "array", "items": {"type": "string"}}}}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_MODEL = {"type": "object", "required": ["version", "trained_at"], "properties": {
    "version": {"type": "string"}, "trained_at": {"type": "string"}}}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_document() -> dict:
    """The API contract: request and response shapes of every endpoint, errors included."""
    errors = {
        "400": _error("malformed request: bad JSON, wrong or missing fields, invalid UTF-8"),
        "401": _error("this server has a pairing token and the request did not send it"),
        "403": _error("a Host that is not loopback or an Origin that is not an extension"),
        "413": _error("body or text larger than this server's limits"),
        "415": _error("the body is not JSON"),
        "503": _error("no model is loaded"),
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Postguard checking server", "version": __version__,
                 "description": "Checks a post for the company's taboo topics, on this machine."},
        "paths": {
            "/v1/check": {"post": {
                "summary": "Check the text of a post",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CheckRequest"}}}},
                "responses": {"200": {"description": "the findings", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/CheckResult"}}}},
                    **errors},
            }},
            "/v1/health": {"get": {"summary": "Whether a model is loaded", "security": [], "responses": {
                "200": {"description": "ready", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Health"}}}},
                "403": errors["403"], "503": errors["503"]}}},
            "/v1/policy": {"get": {"summary": "Topics, do's and don'ts and contacts", "responses": {
                "200": {"description": "the policy", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Policy"}}}},
                "401": errors["401"], "403": errors["403"]}}},
            "/v1/guidelines": {"get": {
                "summary": "The policy with the examples comms marked as shareable, for the "
                           "guidelines page and the practice",
                "responses": {
                    "200": {"description": "the guidelines", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Guidelines"}}}},
                    "401": errors["401"], "403": errors["403"]}}},
            "/v1/feed": {"get": {
                "summary": "What is said about the company: the newest items of the policy's "
                           "feeds, from the cache, with a note for each feed left out",
                "responses": {
                    "200": {"description": "the inside feed", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Feed"}}}},
                    "401": errors["401"], "403": errors["403"]}}},
            "/v1/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {
                "200": {"description": "OpenAPI 3.1"}}}},
            "/v1/feedback": {"post": {
                "summary": "An employee's anonymous report: a warning that was fine, or a missed risk",
                "description": "Counted per topic, kind and week only; `text` is sent only when the "
                               "employee chose to share it with the comms team.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/FeedbackRequest"}}}},
                "responses": {"204": {"description": "counted"},
                              **{code: errors[code] for code in ("400", "401", "403", "413", "415")}},
            }},
        },
        # Only when the server is configured with a token (`postguard token`); else no credentials.
        "security": [{}, {"pairingToken": []}],
        "components": {"securitySchemes": {"pairingToken": {
            "type": "apiKey", "in": "header", "name": "X-Postguard-Token"}}, "schemas": {
            "CheckRequest": {"type": "object", "required": ["text"], "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": 100000},
                "site": {"type": "string", "maxLength": 40}}},
            "Finding": {"type": "object", "required": [
                "topic", "title", "score", "offset", "length", "evidence", "message",
                "guideline", "alternative", "contact"], "properties": {
                "topic": {"type": "string"}, "title": {"type": "string"},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "offset": {"type": "integer", "minimum": 0, "description": "UTF-16 code units"},
                "length": {"type": "integer", "minimum": 1, "description": "UTF-16 code units"},
                "evidence": {"type": "array", "items": {"type": "string"}},
                "message": {"type": "string"}, "guideline": {"type": "string"},
                "speakers": {"type": "string"}, "alternative": {"type": "string"},
                "contact": _CONTACT, "source": {"enum": ["model", "listed"]}}},
            "CheckResult": {"type": "object", "required": ["verdict", "findings", "lang", "model"],
                            "properties": {
                "verdict": {"enum": ["ok", "warn"]},
                "findings": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}},
                "lang": {"enum": ["de", "en"]}, "model": _MODEL}},
            "Health": {"type": "object", "required": ["status", "model"], "properties": {
                "status": {"const": "ok"}, "model": _MODEL}},
            "Policy": {"type": "object", "required": ["company", "contact", "dos", "donts", "topics", "launches"],
                       "properties": {
                "company": {"type": "string"}, "contact": _CONTACT,
                "dos": _TEXTS_LISTS, "donts": _TEXTS_LISTS,
                "topics": {"type": "array", "items": {"type": "object", "required": [
                    "id", "title", "guideline", "alternative", "contact"], "properties": {
                    "id": {"type": "string"}, "title": _TEXTS, "guideline": _TEXTS,
                    "alternative": _TEXTS, "message": _TEXTS, "speakers": _TEXTS,
                    "contact": _CONTACT}}},
                "launches": {"type": "array", "items": {"$ref": "#/components/schemas/Launch"}}}},
            "Launch": {"type": "object", "required": ["term", "topic", "title", "since"],
                       "description": "a listed term whose date has passed: it may be posted now",
                       "properties": {
                "term": {"type": "string"}, "topic": {"type": "string"}, "title": _TEXTS,
                "since": {**_DATE, "description": "the first day it may be posted"}}},
            "Guidelines": {"allOf": [{"$ref": "#/components/schemas/Policy"}, {
                "type": "object", "required": ["examples"], "properties": {
                    "examples": {"type": "array", "items": {
                        "$ref": "#/components/schemas/SharedExample"}}}}]},
            "SharedExample": {"type": "object", "required": ["id", "text", "lang", "topic", "verdict"],
                              "properties": {
                "id": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
                "text": {"type": "string", "minLength": 1}, "lang": {"enum": ["de", "en"]},
                "topic": {"type": ["string", "null"],
                          "description": "the taboo topic; for a fine post the topic it comes close to"},
                "verdict": {"enum": ["fine", "better_not"]}}},
            "Feed": {"type": "object", "required": ["items", "notes", "updated_at"], "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/FeedItem"}},
                "notes": {"type": "array", "items": {"type": "object", "required": ["feed", "message"],
                          "properties": {"feed": {"type": "string"}, "message": {"type": "string"}}}},
                "updated_at": {"type": ["string", "null"]}}},
            "FeedItem": {"type": "object", "required": [
                "title", "link", "summary", "published", "feed", "official"], "properties": {
                "title": {"type": "string"}, "link": {"type": "string", "pattern": "^https?://"},
                "summary": {"type": "string"},
                "published": {"type": "string", "description": "ISO 8601 in UTC, or empty"},
                "feed": {"type": "string"}, "official": {"type": "boolean"}}},
            "FeedbackRequest": {"type": "object", "required": ["kind"], "additionalProperties": False,
                                "properties": {
                "kind": {"enum": ["false_alarm", "missed_risk"]},
                "topic": {"type": ["string", "null"], "description": "a topic id of the policy"},
                "text": {"type": ["string", "null"], "minLength": 1, "maxLength": 20000,
                         "description": "only when the employee ticked \"share this text\""}}},
            "Error": {"type": "object", "required": ["error", "message"],
                      "additionalProperties": False, "properties": {
                "error": {"type": "string"}, "message": {"type": "string"}}},
        }},
    }

