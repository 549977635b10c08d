"""OpenAPI 3.1 description of the JSON API; a test validates real responses against it."""

from __future__ import annotations

from typing import Any

from kb.fields import FACET_LABELS, FACET_PARAMS

NULLABLE_STR = {"type": ["string", "null"]}
STR_LIST = {"type": "array", "items": {"type": "string"}}


def _filter_params() -> list[dict[str, Any]]:
    descriptions = {"collection": "Collection (centre ou source)", "type": "Type de document", "theme": "Thème",
                    "annee": "Année (AAAA)",
                    "org": "Organisation citée (ANCT, CAF, bailleur social…)",
                    "dispositif": "Dispositif ou programme cité (QPV, NPNRU, contrat de ville…)",
                    "format": "Format (pdf, html, docx, odt, markdown, text)",
                    "porteur": "Porteur de l'action (fiche d'expérience)", "qpv": "Quartier prioritaire (fiche)",
                    "public": "Public de l'action (fiche)", "etat": "État du projet (fiche)",
                    "financeurs": "Financeur (fiche)", "partenaires": "Partenaire (fiche)",
                    "section": "Section de fiche d'expérience (resultats, enseignements…) : les mots de la "
                               "requête y sont cherchés"}
    return [{"name": name, "in": "query", "required": False,
             "description": descriptions.get(name, FACET_LABELS[name])
             + " ; répétable : plusieurs valeurs d'un filtre se combinent par OU, des filtres différents par ET.",
             "schema": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 20},
             "style": "form", "explode": True} for name in FACET_PARAMS]


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["ok", "error", "status"],
        "properties": {"ok": {"const": False}, "error": {"type": "string"}, "status": {"type": "integer"}},
        "additionalProperties": False,
    },
    "Hit": {
        "type": "object",
        "required": ["id", "title", "type", "date", "path", "page", "collection", "score", "snippet", "licence",
                     "author", "url", "relatives"],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9a-f]{8,64}$"},
            "title": {"type": "string"},
            "type": {"type": "string"},
            "date": {**NULLABLE_STR, "description": "AAAA, AAAA-MM ou AAAA-MM-JJ"},
            "path": {"type": "string", "description": "Chemin du fichier source lors de l'indexation"},
            "page": {"type": ["integer", "null"], "description": "Première page où la requête apparaît (PDF)"},
            "collection": {**NULLABLE_STR, "description": "Collection : le centre ou la source d'où vient le document"},
            "relatives": {"type": "array", "description": "Autres membres de son groupe (copies, autres formats, "
                          "versions), montrés une seule fois dans les résultats",
                          "items": {"type": "object", "required": ["id", "title", "label"],
                                    "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                                   "label": {"type": "string"}}}},
            "score": {"type": "number"},
            "snippet": {"type": "string",
                        "description": "Extrait HTML sûr : texte échappé, correspondances dans <mark>"},
            "licence": {**NULLABLE_STR,
                        "description": "Licence du document (ex. CC BY-NC-ND 4.0, Licence Ouverte 2.0)"},
            "author": {**NULLABLE_STR, "description": "Auteur ou organisme producteur (la source à citer)"},
            "url": {**NULLABLE_STR, "description": "Adresse d'origine du document"},
        },
        "additionalProperties": False,
    },
    "FacetValue": {
        "type": "object", "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 0}},
        "additionalProperties": False,
    },
    "SearchResult": {
        "type": "object",
        "required": ["total", "hits"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1,
                     "description": "Page envoyée : la dernière quand la page demandée est au-delà"},
            "pages": {"type": "integer", "minimum": 1, "description": "Nombre de pages de « limit » résultats"},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {"type": "object", "propertyNames": {"enum": list(FACET_PARAMS)},
                       "description": "Valeurs de chaque facette avec leur nombre de documents, toutes "
                                      "(sans limite). Une facette où des valeurs sont choisies est comptée "
                                      "avec les autres filtres mais sans les siens : chaque nombre dit "
                                      "combien de documents aurait cette valeur, ajoutée par OU.",
                       "additionalProperties": {"type": "array",
                                                "items": {"$ref": "#/components/schemas/FacetValue"}}},
            "suggestion": {**NULLABLE_STR, "description": "Requête corrigée proposée"},
            "corrected": {**NULLABLE_STR, "description": "Requête corrigée, cherchée en plus de la requête "
                          "saisie (mots inconnus de la base remplacés par les plus proches)"},
        },
        "additionalProperties": False,
    },
    "Document": {
        "type": "object",
        "required": ["id", "title", "type", "format", "path", "sha256", "size", "permalink"],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9a-f]{8,64}$"},
            "title": {"type": "string"}, "type": {"type": "string"}, "format": {"type": "string"},
            "path": {"type": "string"}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": {"type": "integer"}, "mtime": {"type": "number"},
            "date": NULLABLE_STR, "year": {"type": ["integer", "null"]},
            "themes": STR_LIST, "organisations": STR_LIST, "keywords": STR_LIST, "headings": STR_LIST,
            "flags": STR_LIST, "collection": NULLABLE_STR, "territory": NULLABLE_STR,
            "practice": {"type": "object", "description": "Métadonnées de fiche d'expérience (porteur, qpv, "
                         "public, periode, etat, financeurs, partenaires, contact)",
                         "additionalProperties": STR_LIST},
            "fingerprint": {"type": "string", "description": "Empreinte MinHash du texte (regroupement des versions)"},
            "sections": {"type": ["array", "null"], "description": "Sections de fiche reconnues, dans l'ordre",
                         "items": {"type": "object", "required": ["key", "title", "start", "end"],
                                   "properties": {"key": {"type": "string"}, "title": {"type": "string"},
                                                  "start": {"type": "integer"}, "end": {"type": "integer"}}}},
            "relatives": {"type": "array", "description": "Autres membres du groupe : copies, autres formats, versions",
                          "items": {"type": "object", "required": ["id", "title", "label"],
                                    "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                                   "label": {"type": "string"}}}},
            "language": NULLABLE_STR, "author": NULLABLE_STR,
            "summary": {"type": "string"}, "url": NULLABLE_STR, "licence": NULLABLE_STR,
            "page_count": {"type": ["integer", "null"]}, "word_count": {"type": "integer"},
            "extra": {"type": "object", "additionalProperties": {"type": "string"}},
            "permalink": {"type": "string", "format": "uri"},
            "text": {"type": "string", "description": "Texte intégral (avec text=1)"},
            "pages": {**STR_LIST, "description": "Texte de chaque page, PDF (avec text=1)"},
        },
        "additionalProperties": False,
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def spec(max_page: int) -> dict[str, Any]:
    """The OpenAPI 3.1 description of ``/api``: its paths, parameters and response schemas
    (``max_page``: the last page one may ask for)."""
    ok = "application/json"
    return {
        "openapi": "3.1.0",
        "info": {"title": "Passerelles — API", "version": "1.0.0",
                 "description": "Recherche en texte intégral dans la base des centres de ressources "
                                "politique de la ville. Toutes les erreurs ont la forme "
                                "{\"ok\": false, \"error\": \"…\", \"status\": 400}."},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": {
            "/api/search": {"get": {
                "summary": "Chercher (même forme que kb search --json)",
                "operationId": "search",
                "parameters": [
                    {"name": "q", "in": "query", "description": "Requête, même syntaxe que la ligne de commande",
                     "schema": {"type": "string", "maxLength": 500}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                                 "default": 10}},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": max_page,
                                                                "default": 1}},
                    {"name": "tri", "in": "query", "schema": {"enum": ["pertinence", "date"]}},
                    *_filter_params(),
                ],
                "responses": {
                    "200": {"description": "Résultats", "content": {ok: {"schema": {
                        "$ref": "#/components/schemas/SearchResult"}}}},
                    "400": _error("Paramètre invalide ou requête trop longue"),
                },
            }},
            "/api/documents/{id}": {"get": {
                "summary": "Métadonnées d'un document",
                "operationId": "document",
                "parameters": [
                    {"name": "id", "in": "path", "required": True,
                     "schema": {"type": "string", "pattern": "^[0-9a-f]{8,64}$"}},
                    {"name": "text", "in": "query", "description": "1 pour inclure le texte intégral",
                     "schema": {"enum": ["0", "1"]}},
                ],
                "responses": {
                    "200": {"description": "Le document", "content": {ok: {"schema": {
                        "$ref": "#/components/schemas/Document"}}}},
                    "400": _error("Identifiant invalide"),
                    "404": _error("Document introuvable"),
                },
            }},
            "/api/openapi.json": {"get": {
                "summary": "Cette description", "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {ok: {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {"schemas": SCHEMAS},
    }
