import Logging
import Synchronization
import Testing

@testable import SluiceApp

/// The server's log handler writes the lines `StreamLogHandler` writes, with the logger's metadata kept unformatted.
@Suite struct ServerLogHandlerTests {
    /// A stream that keeps what is written to it.
    final class Lines: TextOutputStream, Sendable {
        let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
    }

    /// What a logger made by `factory` writes for the same metadata and lines, each without its timestamp.
    func written(_ factory: @escaping @Sendable (String, Lines) -> any LogHandler) -> [String] {
        let lines = Lines()
        var logger = Logger(label: "sluice") { factory($0, lines) }
        logger.logLevel = .info
        logger[metadataKey: "hb.request.id"] = "r1"
        logger[metadataKey: "shared"] = "logger"
        logger.debug("below the level")
        logger.info("request", metadata: ["status": "200", "shared": "line"])
        logger[metadataKey: "hb.request.id"] = nil
        logger.warning("plain")
        logger.error("failed", error: ServerLogHandlerError())
        return lines.text.withLock { $0 }.split(separator: "\n").map { String($0.drop { $0 != " " }) }
    }

    struct ServerLogHandlerError: Error {}

    @Test func linesAreStreamLogHandlers() {
        let ours = written { ServerLogHandler(label: $0, stream: $1) }
        let theirs = written { StreamLogHandler(label: $0, stream: $1) }
        #expect(ours == theirs)
        #expect(ours.count == 3)
        // The line's own metadata wins over the logger's; items set to nil are gone
        #expect(ours.first == " info sluice: hb.request.id=r1 shared=line status=200 [SluiceAppTests] request")
        #expect(ours.dropFirst().first == " warning sluice: shared=logger [SluiceAppTests] plain")
    }
}
