import NIOCore

/// Sluice's OpenAPI document, served at `GET /openapi.yaml`.
///
/// The text is `openapi.yaml` beside this file, which `scripts/generate-openapi.py` writes
/// and SwiftPM embeds in the binary (`.embedInCode` in Package.swift), so there is one copy
/// in the repository and nothing to look up at run time. Derived from Segment's Public API
/// OpenAPI document (MIT license, Copyright (c) Twilio Inc.).
enum OpenAPIDocument {
    /// The document's bytes, ready to send: shared by every answer, never copied.
    static let body = ByteBuffer(bytes: PackageResources.openapi_yaml)
}
