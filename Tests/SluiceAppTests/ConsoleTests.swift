import Foundation
import HTTPTypes
import HummingbirdTesting
import SluiceCore
import SluiceDelivery
import SluiceTesting
import Testing

@testable import SluiceApp

/// The web console's files (`/console/`, issue 18) and the tools it calls under `/sluice/`.
@Suite struct ConsoleTests {
    /// The checkout: this file is in Tests/SluiceAppTests/.
    static let consoleFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/SluiceApp/Console")

    static func folderFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: consoleFolder.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func theConsoleIsServedWithoutATokenWithItsSecurityHeaders() async throws {
        try await TestHarness.withApp { client, _ in
            for path in ["/console", "/console/", "/console/index.html"] {
                let page = try await client.api(.get, path, token: nil)
                #expect(page.status == .ok, "\(path)")
                #expect(page.headers[.contentType] == "text/html; charset=utf-8")
                #expect(page.text.contains("<script type=\"module\" src=\"/console/app.js\"></script>"))
                let csp = try #require(page.headers[.contentSecurityPolicy])
                #expect(csp.contains("default-src 'none'"))
                #expect(csp.contains("script-src 'self';"))
                #expect(csp.contains("style-src 'self';"))
                #expect(csp.contains("connect-src 'self';"))
                #expect(csp.contains("frame-ancestors 'none'"))
                #expect(!csp.contains("unsafe"))
                #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(page.headers[.xContentTypeOptions] == "nosniff")
                #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            }
            let script = try await client.api(.get, "/console/app.js", token: nil)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            let style = try await client.api(.get, "/console/console.css", token: nil)
            #expect(style.headers[.contentType] == "text/css; charset=utf-8")
        }
    }

    @Test func anUnchangedFileIsA304AndUnknownOrOddNamesAre404s() async throws {
        try await TestHarness.withApp { client, _ in
            let first = try await client.api(.get, "/console/api.js", token: nil)
            let etag = try #require(first.headers[.eTag])
            let again = try await client.api(.get, "/console/api.js", token: nil, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.isEmpty)
            let other = try await client.api(.get, "/console/api.js", token: nil, headers: [.ifNoneMatch: "\"nope\""])
            #expect(other.status == .ok)
            for path in ["/console/nope.js", "/console/..%2FPackage.swift", "/console/.hidden.js", "/console/app.swift", "/console/a/b.js"] {
                let response = try await client.api(.get, path, token: nil)
                expectError(response, .notFound, type: "NotFound")
            }
            // Only GET: a write is a 405 naming it.
            let post = try await client.api(.post, "/console/app.js", json: [:], token: nil)
            #expect(post.status == .methodNotAllowed)
        }
    }

    @Test func theEmbeddedFilesAreTheFolderByteForByte() async throws {
        // Every file in Sources/SluiceApp/Console is listed (so compiled in), and nothing else.
        #expect(ConsoleAssets.embedded.keys.sorted() == (try Self.folderFiles()))
        try await TestHarness.withApp { client, _ in
            for name in try Self.folderFiles() {
                let served = try await client.api(.get, "/console/\(name)", token: nil)
                let file = try Data(contentsOf: Self.consoleFolder.appendingPathComponent(name))
                let identical = served.body.elementsEqual(file)
                #expect(identical, "\(name) is served as \(served.body.count) bytes that are not the folder's \(file.count)")
            }
        }
    }

    /// The Content-Security-Policy forbids inline script and inline style; the files keep to it, and build pages with
    /// the DOM rather than parsing markup.
    @Test func theFilesUseNoInlineScriptStyleOrMarkupParsing() throws {
        for name in try Self.folderFiles() {
            let text = try String(contentsOf: Self.consoleFolder.appendingPathComponent(name), encoding: .utf8)
            if name.hasSuffix(".html") {
                for tag in text.components(separatedBy: "<script").dropFirst() {
                    #expect(tag.hasPrefix(" type=\"module\" src=\"/console/"), "\(name): a script without src")
                }
                #expect(!text.contains("style="), "\(name): a style attribute")
                #expect(!text.contains("<style"), "\(name): a style element")
                #expect(text.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "\(name): an inline event handler")
            }
            if name.hasSuffix(".js") {
                for banned in [
                    "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "'style'", "\"style\"", "localStorage",
                    "document.cookie",
                ] {
                    #expect(!text.contains(banned), "\(name) uses \(banned)")
                }
            }
        }
    }

    @Test func theConsoleCanBeTurnedOff() async throws {
        var settings = AppSettings.testing()
        settings.console = false
        try await TestHarness.withApp(settings: settings) { client, _ in
            let response = try await client.api(.get, "/console/", token: nil)
            #expect(response.status == .unauthorized)
        }
    }

    @Test func aConsoleFolderIsReadOnEveryRequest() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-console-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("<p>one</p>".utf8).write(to: folder.appendingPathComponent("index.html"))
        var settings = AppSettings.testing()
        settings.consoleDirectory = folder.path
        try await TestHarness.withApp(settings: settings) { client, _ in
            let first = try await client.api(.get, "/console/", token: nil)
            #expect(first.text == "<p>one</p>")
            try Data("<p>two</p>".utf8).write(to: folder.appendingPathComponent("index.html"))
            let second = try await client.api(.get, "/console/", token: nil)
            #expect(second.text == "<p>two</p>")
            expectError(try await client.api(.get, "/console/app.js", token: nil), .notFound, type: "NotFound")
        }
    }

    // MARK: - /sluice/ tools

    @Test func theTokenInUseIsNamedNeverShown() async throws {
        try await TestHarness.withApp { client, _ in
            let full = try await client.api(.get, "/sluice/token")
            #expect(full.status == .ok)
            #expect(full.data["token"]?["readOnly"] == false)
            #expect(full.data["token"]?["id"]?.stringValue?.isEmpty == false)
            #expect(!full.text.contains(TestHarness.token))
            let readOnly = try await client.api(.get, "/sluice/token", token: TestHarness.readOnlyToken)
            #expect(readOnly.data["token"]?["readOnly"] == true)
            #expect(readOnly.data["token"]?["id"] != full.data["token"]?["id"])
            expectError(try await client.api(.get, "/sluice/token", token: nil), .unauthorized, type: "Unauthorized")
        }
    }

    @Test func theDestinationsSluiceDeliversToAreListedByName() async throws {
        try await TestHarness.withApp { client, _ in
            // A read-only token may ask.
            let response = try await client.api(.get, "/sluice/integrations", token: TestHarness.readOnlyToken)
            #expect(response.status == .ok)
            let listed = response.data["integrations"]?.arrayValue ?? []
            let ids = listed.compactMap { $0["metadataId"]?.stringValue }
            #expect(Set(ids) == Set(IntegrationRegistry.standard { _ in nil }.metadataIDs))
            #expect(ids.count == listed.count)
            let names = listed.compactMap { $0["name"]?.stringValue }
            #expect(names == names.sorted())
            #expect(names.contains("Webhooks (Actions)"))
            #expect(!ids.contains(Fixture.kinesis))
            expectError(try await client.api(.get, "/sluice/integrations", token: nil), .unauthorized, type: "Unauthorized")
        }
    }

    @Test func aTriggerIsCheckedAgainstAnEventAsDeliveryDecides() async throws {
        try await TestHarness.withApp { client, _ in
            let event: JSONValue = ["type": "track", "event": "Order Completed", "properties": ["total": 30]]
            for (trigger, expected) in [
                ("type = \"track\" and event = \"Order Completed\"", true), ("type = \"identify\"", false),
                ("properties.total > 20", true), ("event = \"Order Completed\" and properties.total < 20", false),
            ] {
                // A read-only token may ask: the check changes nothing.
                let response = try await client.api(
                    .post, "/sluice/triggers/check", json: ["trigger": .string(trigger), "event": event], token: TestHarness.readOnlyToken)
                #expect(response.status == .ok)
                #expect(response.data["matches"] == .bool(expected), "\(trigger)")
            }
            let broken = try await client.api(.post, "/sluice/triggers/check", json: ["trigger": "type = ", "event": event])
            expectError(broken, .unprocessableContent, type: "ValidationFailure")
            #expect(broken.error["field"] == "trigger")
            let noEvent = try await client.api(.post, "/sluice/triggers/check", json: ["trigger": "type = \"track\""])
            #expect(noEvent.status == .unprocessableContent)
            #expect(noEvent.error["field"] == "event")
            let notObject = try await client.api(.post, "/sluice/triggers/check", json: ["trigger": "type = \"track\"", "event": "track"])
            #expect(notObject.error["field"] == "event")
            let unreadable = try await client.api(.post, "/sluice/triggers/check", rawBody: "{")
            #expect(unreadable.status == .badRequest)
        }
    }

    @Test func aMappingIsPreviewedAgainstAnEvent() async throws {
        try await TestHarness.withApp { client, _ in
            let event: JSONValue = ["type": "track", "event": "Order Completed", "properties": ["revenue": 19.99]]
            let mapping: JSONValue = ["name": ["@path": "$.event"], "revenue": ["@path": "$.properties.revenue"], "fixed": 1]
            let response = try await client.api(
                .post, "/sluice/mappings/preview", json: ["mapping": mapping, "event": event], token: TestHarness.readOnlyToken)
            #expect(response.status == .ok)
            #expect(response.data["resolved"] == ["name": "Order Completed", "revenue": 19.99, "fixed": 1])
            // A path to nothing resolves to nothing: the field would be left out.
            let nothing = try await client.api(.post, "/sluice/mappings/preview", json: ["mapping": ["@path": "$.nope"], "event": event])
            #expect(nothing.status == .ok)
            #expect(nothing.data["resolved"] == .null)
            #expect(nothing.text.contains("\"resolved\":null"))
            let invalid = try await client.api(
                .post, "/sluice/mappings/preview", json: ["mapping": ["user": ["@nope": "x"]], "event": event])
            expectError(invalid, .unprocessableContent, type: "ValidationFailure")
            #expect(invalid.error["message"]?.stringValue?.contains("mapping.user") == true)
            let missing = try await client.api(.post, "/sluice/mappings/preview", json: ["event": event])
            #expect(missing.error["field"] == "mapping")
        }
    }
}
