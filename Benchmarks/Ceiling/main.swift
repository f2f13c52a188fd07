// The benchmark ceiling: the same HTTP stack as Sluice (Hummingbird 2, same server name), answering
// response bytes captured from Sluice from memory, with no store, no auth, no JSON work. Whatever
// Sluice does on top of this is what its figures next to the ceiling's measure.
//
//   SluiceBenchCeiling --port P --responses DIR
//
// DIR/manifest.tsv has one route a line, tab-separated:
//   METHOD  PATH  STATUS  CONTENT-TYPE  FILE  [NAME: VALUE ...]
// PATH is matched without its query string (`:name` matches one path segment). FILE (relative to
// DIR) holds the exact body bytes. Any further columns are headers sent as they are (the harness
// puts Sluice's X-Request-Id there, so that the answers have the same length as Sluice's).
// A request body, when there is one, is read whole before the answer (as Sluice must read it).
// GET /healthz answers 200 with an empty body; GET /_requests the number of requests the manifest's
// routes have answered (so that the harness can use the ceiling as a delivery receiver too).

import Foundation
import Hummingbird
import Synchronization

struct Route {
    var method: HTTPRequest.Method
    var path: String
    var status: HTTPResponse.Status
    var contentType: String
    var headers: [(name: String, value: String)]
    var body: ByteBuffer
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("SluiceBenchCeiling: \(message)\n".utf8))
    exit(2)
}

func readArguments() -> (port: Int, dir: String) {
    var port = 8090
    var dir: String?
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let arg = args.next() {
        switch arg {
        case "--port":
            guard let value = args.next(), let number = Int(value) else { fail("--port needs a number") }
            port = number
        case "--responses":
            guard let value = args.next() else { fail("--responses needs a folder") }
            dir = value
        default:
            fail("usage: SluiceBenchCeiling --port P --responses DIR")
        }
    }
    guard let dir else { fail("usage: SluiceBenchCeiling --port P --responses DIR") }
    return (port, dir)
}

func loadRoutes(dir: String) -> [Route] {
    let manifest = dir + "/manifest.tsv"
    guard let text = try? String(contentsOfFile: manifest, encoding: .utf8) else { fail("cannot read \(manifest)") }
    var routes: [Route] = []
    for line in text.split(separator: "\n") where !line.isEmpty && !line.hasPrefix("#") {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 5, let method = HTTPRequest.Method(fields[0]), let code = Int(fields[2]) else {
            fail("bad manifest line: \(line)")
        }
        guard let data = FileManager.default.contents(atPath: dir + "/" + fields[4]) else {
            fail("cannot read \(dir)/\(fields[4])")
        }
        let headers = fields.dropFirst(5).map { field -> (name: String, value: String) in
            let parts = field.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else { fail("bad header column: \(field)") }
            return (parts[0], parts[1])
        }
        let path = String(fields[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        routes.append(
            Route(
                method: method, path: path, status: HTTPResponse.Status(code: code), contentType: fields[3],
                headers: headers, body: ByteBuffer(bytes: data)))
    }
    return routes
}

let answered = Atomic<Int>(0)
let (port, dir) = readArguments()
let router = Router()
router.get("/healthz") { _, _ in HTTPResponse.Status.ok }
router.get("/_requests") { _, _ in "\(answered.load(ordering: .relaxed))\n" }
for route in loadRoutes(dir: dir) {
    let body = route.body
    let status = route.status
    var responseHeaders = HTTPFields()
    responseHeaders[.contentType] = route.contentType
    for (name, value) in route.headers {
        guard let fieldName = .init(name) as HTTPFields.Element.Name? else { fail("bad header name: \(name)") }
        responseHeaders[fieldName] = value
    }
    let headers = responseHeaders
    let readsBody = route.method == .post || route.method == .patch || route.method == .put
    router.on(RouterPath(route.path), method: route.method) { request, _ -> Response in
        if readsBody {
            _ = try await request.body.collect(upTo: 1 << 20)
        }
        answered.add(1, ordering: .relaxed)
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "Sluice"))
try await app.runService()
