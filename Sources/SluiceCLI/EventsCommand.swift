import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore

/// `sluice events tail|failed|replay`: a destination's event log and the failed events, through a running server's
/// Public API (#17, part 5), for a person at a terminal or a script (`--json`: one JSON object a line).
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Follow a destination's delivery attempts, list failed events and replay them, through a running server.",
        subcommands: [Tail.self, Failed.self, Replay.self])

    /// Where the server is, and the token it takes.
    struct ServerOptions: ParsableArguments {
        @Option(help: "The server's base URL (env SLUICE_URL, default http://127.0.0.1:8080).")
        var url: String?
        @Option(help: "A Public API token of that server (env SLUICE_TOKEN).")
        var token: String?
        @Flag(help: "Print one JSON object a line instead of text.")
        var json = false

        func client() throws -> APIClient {
            guard let token = token ?? Environment.value("SLUICE_TOKEN"), !token.isEmpty else {
                throw ValidationError("a token is needed: --token or SLUICE_TOKEN")
            }
            let base = url ?? Environment.value("SLUICE_URL") ?? "http://127.0.0.1:8080"
            guard let parsed = URL(string: base), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ValidationError("--url must be an http or https URL such as http://127.0.0.1:8080")
            }
            return APIClient(base: base.hasSuffix("/") ? String(base.dropLast()) : base, token: token)
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a destination's latest delivery attempts, then each new one as it is made (Ctrl-C stops).")

        @Argument(help: "The destination's id.")
        var destinationID: String
        @Option(help: "How many of the latest attempts to print first (0 to 200, default 10).")
        var lines = 10
        @Flag(inversion: .prefixedNo, help: "Keep following the log (default); --no-follow prints and exits.")
        var follow = true
        @Option(help: "Seconds between two looks at the log while following (default 1).")
        var interval = 1.0
        @OptionGroup var server: ServerOptions

        func validate() throws {
            guard (0...200).contains(lines) else { throw ValidationError("--lines must be 0 to 200") }
            guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be 0.1 to 3600 seconds") }
        }

        func run() async throws {
            try await APIClient.reporting { try await follow(try server.client()) }
        }

        private func follow(_ api: APIClient) async throws {
            let path = "/sluice/destinations/\(APIClient.escape(destinationID))/event-log?pagination.count="
            var newest = Int64(0)
            let first = try await api.get(path + "\(max(lines, 1))")["attempts"]?.arrayValue ?? []
            newest = first.compactMap(Self.id).max() ?? 0
            for entry in first.prefix(lines).reversed() { Self.emit(Self.render(entry, json: server.json)) }
            while follow {
                try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                // The newest first: read pages until one reaches what was printed already (at most 10 pages a look).
                var fresh: [JSONValue] = []
                var cursor: String?
                for _ in 0..<10 {
                    let page = try await api.get(path + "200" + (cursor.map { "&pagination.cursor=\(APIClient.escape($0))" } ?? ""))
                    let entries = page["attempts"]?.arrayValue ?? []
                    fresh += entries.filter { (Self.id($0) ?? 0) > newest }
                    cursor = page["pagination"]?["next"]?.stringValue
                    if cursor == nil || entries.contains(where: { (Self.id($0) ?? 0) <= newest }) { break }
                }
                for entry in fresh.reversed() { Self.emit(Self.render(entry, json: server.json)) }
                newest = max(newest, fresh.compactMap(Self.id).max() ?? 0)
            }
        }

        /// Writes a line at once: `print` is buffered when standard output is a pipe, and a follower's lines must go out
        /// as they come.
        static func emit(_ line: String) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }

        static func id(_ entry: JSONValue) -> Int64? { entry["id"]?.stringValue.flatMap { Int64($0) } }

        /// `TIME  STATUS  REASON  attempt N  TYPE "NAME"  MESSAGE_ID  user USER  METHOD URL  N ms`.
        static func render(_ entry: JSONValue, json: Bool) -> String {
            if json { return String(decoding: JSONWriter.encode(entry), as: UTF8.self) }
            let text = { (key: String) in entry[key]?.stringValue ?? "-" }
            var parts = [text("attemptedAt"), text("status"), text("reason"), "attempt \(entry["attempt"]?.numberValue.map { Int($0) } ?? 0)"]
            parts.append(text("eventType") + (entry["eventName"]?.stringValue.map { " \"\($0)\"" } ?? ""))
            parts.append(text("messageId"))
            if let user = entry["userId"]?.stringValue ?? entry["anonymousId"]?.stringValue { parts.append("user \(user)") }
            if let request = entry["request"], let method = request["method"]?.stringValue {
                parts.append("\(method) \(request["url"]?.stringValue ?? "")")
                parts.append("\(request["durationMs"]?.numberValue.map { Int($0) } ?? 0) ms")
            }
            return parts.joined(separator: "  ")
        }
    }

    struct Failed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List failed events, newest first.")

        @Option(help: "Only this destination's.")
        var destination: String?
        @Option(help: "Only DISCARDED or only EXPIRED ones.")
        var status: String?
        @Option(help: "How many to print (1 to 200, default 50).")
        var count = 50
        @OptionGroup var server: ServerOptions

        func validate() throws {
            guard (1...200).contains(count) else { throw ValidationError("--count must be 1 to 200") }
        }

        func run() async throws {
            try await APIClient.reporting { try await list(try server.client()) }
        }

        private func list(_ api: APIClient) async throws {
            var path = "/sluice/failed-events?pagination.count=\(count)"
            if let destination { path += "&destinationId=\(APIClient.escape(destination))" }
            if let status { path += "&status=\(APIClient.escape(status))" }
            let data = try await api.get(path)
            for event in data["failedEvents"]?.arrayValue ?? [] {
                if server.json {
                    print(String(decoding: JSONWriter.encode(event), as: UTF8.self))
                } else {
                    let text = { (key: String) in event[key]?.stringValue ?? "-" }
                    let attempts = event["attempts"]?.numberValue.map { Int($0) } ?? 0
                    print(
                        [
                            text("id"), text("failedAt"), text("status"), text("reason"), "attempts \(attempts)", text("destinationId"),
                            text("messageId"),
                        ].joined(separator: "  "))
                }
            }
            if !server.json, let total = data["pagination"]?["totalEntries"]?.numberValue {
                FileHandle.standardError.write(Data("\(Int(total)) failed events\n".utf8))
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put failed events back into delivery: by id, or by destination, message id or time (all given must match).")

        @Option(name: .customLong("id"), help: "A failed event's id; repeat for several.")
        var ids: [String] = []
        @Option(help: "Those of this destination.")
        var destination: String?
        @Option(help: "Those of this subscription.")
        var subscription: String?
        @Option(help: "Those of this message id.")
        var messageID: String?
        @Option(help: "Only DISCARDED or only EXPIRED ones.")
        var status: String?
        @Option(help: "Those that failed at or after this time (ISO 8601, e.g. 2026-12-04T10:00:00Z).")
        var since: String?
        @Option(help: "Those that failed at or before this time.")
        var until: String?
        @OptionGroup var server: ServerOptions

        func validate() throws {
            guard !ids.isEmpty || destination != nil || messageID != nil || since != nil else {
                throw ValidationError("name what to replay: --id, --destination, --message-id or --since")
            }
        }

        func run() async throws {
            try await APIClient.reporting { try await replay(try server.client()) }
        }

        private func replay(_ api: APIClient) async throws {
            var body: [String: JSONValue] = [:]
            if !ids.isEmpty { body["ids"] = .array(ids.map(JSONValue.string)) }
            let optional: [(String, String?)] = [
                ("destinationId", destination), ("subscriptionId", subscription), ("messageId", messageID), ("status", status),
                ("startTime", since), ("endTime", until),
            ]
            for (key, value) in optional { if let value { body[key] = .string(value) } }
            let data = try await api.post("/sluice/failed-events/replay", body: .object(body))
            let replayed = data["replayed"]?.numberValue.map { Int($0) } ?? 0
            print(server.json ? "{\"replayed\":\(replayed)}" : "replayed \(replayed)")
        }
    }
}

/// Just enough of a Public API client for the `events` commands: a bearer token, JSON in and out, Segment's error
/// envelope turned into a message.
struct APIClient {
    let base: String
    let token: String

    /// What went wrong, as one line for a person.
    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// Runs `body`; a ``Failure`` is printed as `sluice events: MESSAGE` on standard error and exits 1.
    static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("sluice events: \(failure.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Percent-encodes a path segment or query value.
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    func get(_ path: String) async throws -> JSONValue { try await send(.GET, path, body: nil) }

    func post(_ path: String, body: JSONValue) async throws -> JSONValue { try await send(.POST, path, body: body) }

    /// The answer's `data`; an error answer or no answer is an ``APIClient/Failure`` with what the server said.
    private func send(_ method: HTTPMethod, _ path: String, body: JSONValue?) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.encode(body)))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw APIClient.Failure("cannot reach \(base): \(error)")
        }
        let answer = try? JSONValue.parse(Array(bytes.readableBytesView))
        guard (200..<300).contains(response.status.code) else {
            let message = answer?["errors"]?.arrayValue?.first?["message"]?.stringValue ?? String(buffer: bytes).prefix(300).description
            throw APIClient.Failure("\(method.rawValue) \(path.split(separator: "?").first ?? ""): \(response.status.code) \(message)")
        }
        guard let data = answer?["data"] else { throw APIClient.Failure("\(method.rawValue) \(path): the answer has no data") }
        return data
    }
}
