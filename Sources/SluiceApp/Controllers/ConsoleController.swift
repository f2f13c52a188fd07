import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The web console (issue 18): `GET /console/` and the files it loads, `GET /console/{file}`.
///
/// The console is plain ES modules that call Sluice's own HTTP API with the token a person signs in with (kept in
/// the tab's session storage); these routes only hand out its files, so they need no token. Every answer carries a
/// Content-Security-Policy that allows scripts, styles and connections from this origin only (no inline script, no
/// inline style, no other origin), `X-Frame-Options: DENY`, `nosniff`, no referrer, and an ETag (a repeated load is a
/// 304). docs/console.md describes the pages.
struct ConsoleController {
    let assets: ConsoleAssets

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        .xFrameOptions: "DENY",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
        .crossOriginOpenerPolicy: "same-origin",
        .cacheControl: "no-cache",
    ]

    func register(on router: Router<SluiceRequestContext>) {
        router.get("/console") { request, _ in try serve("index.html", request) }
        router.get("/console/:file") { request, context in
            try serve(context.parameters.get("file") ?? "", request)
        }
    }

    func serve(_ name: String, _ request: Request) throws -> Response {
        guard let file = assets.file(named: name) else { throw APIError.notFound("The console has no file \(name)") }
        var headers = Self.securityHeaders
        headers[.eTag] = file.etag
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = file.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.body))
    }
}

/// The console's files: the copies compiled into the binary (Package.swift embeds `Console/`), or, with
/// `SLUICE_CONSOLE_DIR`, the files of that folder read on every request (for working on the console).
struct ConsoleAssets: Sendable {
    struct File: Sendable {
        /// The file's bytes, shared by every answer (a ByteBuffer is copied on write, never on send).
        let body: ByteBuffer
        let contentType: String
        let etag: String

        init(bytes: [UInt8], contentType: String) {
            body = ByteBuffer(bytes: bytes)
            self.contentType = contentType
            etag = "\"" + SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
        }
    }

    /// Every file of `Console/`. SwiftPM names an embedded file by its name alone, so the folder is flat; a new file
    /// needs a line here (`ConsoleTests` checks that the folder and this list agree).
    static let embedded: [String: [UInt8]] = [
        "index.html": PackageResources.index_html,
        "console.css": PackageResources.console_css,
        "api.js": PackageResources.api_js,
        "ui.js": PackageResources.ui_js,
        "app.js": PackageResources.app_js,
        "sources.js": PackageResources.sources_js,
        "destinations.js": PackageResources.destinations_js,
        "audit.js": PackageResources.audit_js,
        "subscriptions.js": PackageResources.subscriptions_js,
        "filters.js": PackageResources.filters_js,
        "delivery.js": PackageResources.delivery_js,
        "charts.js": PackageResources.charts_js,
    ]

    private let files: [String: File]
    private let directory: String?

    init(directory: String? = nil) {
        self.directory = directory
        files = Dictionary(
            uniqueKeysWithValues: Self.embedded.compactMap { name, bytes in
                Self.contentType(of: name).map { (name, File(bytes: bytes, contentType: $0)) }
            })
    }

    /// The file called `name` (a plain file name: letters, digits, `-`, `_` and one extension we serve), or nil.
    func file(named name: String) -> File? {
        let plain = name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D || byte == 0x5F
                || byte == 0x2E
        }
        guard plain, !name.hasPrefix("."), name.utf8.count <= 64, let type = Self.contentType(of: name)
        else { return nil }
        guard let directory else { return files[name] }
        guard let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(name)) else { return nil }
        return File(bytes: Array(data), contentType: type)
    }

    /// The media type a file is served as, by its extension; nil for any other file.
    static func contentType(of name: String) -> String? {
        switch (name as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        default: nil
        }
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
}
