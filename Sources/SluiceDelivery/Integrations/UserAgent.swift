import Synchronization

/// What a `User-Agent` string says about the system, browser and device, for the families seen most (iOS,
/// Android, macOS, Windows, Chrome OS, Linux; Chrome, Safari, Firefox, Edge, Opera, Samsung Internet), named as
/// ua-parser-js names them: the parser Segment's Amplitude destination uses for `userAgentParsing`.
///
/// A subset, by design: ua-parser-js knows thousands of devices; this reads the vendor and model of Apple
/// devices, Samsung (`SM-…`) and Google Pixel phones, and leaves others unknown. It scans the bytes once per rule
/// (no regular expressions: it runs for every event of a subscription that parses user agents).
struct UserAgent: Equatable, Sendable {
    var osName: String?
    var osVersion: String?
    var browserName: String?
    var browserMajor: String?
    var deviceVendor: String?
    var deviceModel: String?
    var deviceType: String?

    init(_ agent: String) {
        let text = Text(agent)

        // The system.
        if let apple = text.find(any: ["iphone", "ipod", "ipad"]), let os = text.find(" os ", from: apple),
            case let version = text.run(from: os + 4, while: { Text.isDigit($0) || $0 == UInt8(ascii: "_") }), !version.isEmpty
        {
            osName = "iOS"
            osVersion = Self.dotted(version)
        } else if let android = text.find("android") {
            osName = "Android"
            var start = android + 7
            if start < text.count, [UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: " ")].contains(text.lower[start]) { start += 1 }
            let version = text.run(from: start, while: Text.isVersion)
            osVersion = version.isEmpty ? nil : version
        } else if let windows = text.find("windows nt "), case let version = text.run(from: windows + 11, while: Text.isVersion),
            !version.isEmpty
        {
            osName = "Windows"
            osVersion = Self.windowsVersions[version] ?? version
        } else if let cros = text.find("cros ", word: true) {
            osName = "Chromium OS"
            let platform = text.run(from: cros + 5, while: Text.isWord)
            let version = text.run(from: cros + 5 + platform.utf8.count + 1, while: Text.isVersion)
            osVersion = version.isEmpty ? nil : version
        } else if let mac = text.find("mac os x") {
            osName = "Mac OS"
            var start = mac + 8
            if start < text.count, text.lower[start] == UInt8(ascii: " ") { start += 1 }
            let version = text.run(from: start, while: { Text.isVersion($0) || $0 == UInt8(ascii: "_") })
            osVersion = version.isEmpty ? nil : Self.dotted(version)
        } else if text.find("ubuntu") != nil {
            osName = "Ubuntu"
        } else if text.find("linux") != nil {
            osName = "Linux"
        }

        // The browser, most specific first.
        let browsers: [(name: String, markers: [String])] = [
            ("Edge", ["edg/", "edge/", "edga/", "edgios/"]), ("Opera", ["opr/", "opios/"]),
            ("Samsung Browser", ["samsungbrowser/"]), ("Chrome", ["crios/", "crmo/"]), ("Firefox", ["fxios/"]),
            ("Chrome", ["chrome/"]), ("Firefox", ["firefox/"]),
        ]
        for (name, markers) in browsers {
            for marker in markers {
                if let at = text.find(marker, word: true), case let major = text.run(from: at + marker.utf8.count, while: Text.isDigit),
                    !major.isEmpty
                {
                    (browserName, browserMajor) = (name, major)
                    break
                }
            }
            if browserName != nil { break }
        }
        if browserName == nil, let version = text.find("version/"), case let major = text.run(from: version + 8, while: Text.isDigit),
            !major.isEmpty, let safari = text.find(" safari", from: version)
        {
            let mobile = text.find(" mobile/", from: version).map { $0 < safari } ?? false
            (browserName, browserMajor) = (mobile ? "Mobile Safari" : "Safari", major)
        }

        // The device.
        if let at = text.find(any: ["(iphone", "(ipod"]) {
            let model = text.lower[at + 3] == UInt8(ascii: "h") ? "iPhone" : "iPod"
            let rest = text.run(from: at + 1 + model.utf8.count, while: { Text.isWord($0) || $0 == UInt8(ascii: " ") })
            if text.byte(at + 1 + model.utf8.count + rest.utf8.count) == UInt8(ascii: ";") {
                (deviceVendor, deviceModel, deviceType) = ("Apple", model, "mobile")
            }
        }
        if deviceModel == nil {
            if text.find("(ipad;") != nil {
                (deviceVendor, deviceModel, deviceType) = ("Apple", "iPad", "tablet")
            } else if let at = text.find("sm-", word: true), let letter = text.byte(at + 3), Text.isLetter(letter) {
                (deviceVendor, deviceModel) = (
                    "Samsung", text.original(from: at, count: 3 + text.run(from: at + 3, while: Text.isWord).utf8.count).uppercased()
                )
                deviceType = agent.contains("Mobile") ? "mobile" : "tablet"
            } else if let at = text.find("pixel", word: true) {
                var end = at + 5
                while end < text.count, Text.isWord(text.lower[end]) || text.lower[end] == UInt8(ascii: " ") {
                    if text.lower[end...].starts(with: Array(" build".utf8)) { break }
                    end += 1
                }
                (deviceVendor, deviceModel, deviceType) = ("Google", text.original(from: at, count: end - at), "mobile")
            } else if osName == "Android" {
                deviceType = agent.contains("Mobile") ? "mobile" : "tablet"
            } else if text.find("(macintosh;") != nil {
                (deviceVendor, deviceModel) = ("Apple", "Macintosh")
            }
        }
    }

    /// A version written with `_` (`9_1`) written with `.`.
    private static func dotted(_ version: String) -> String {
        String(decoding: version.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
    }

    /// The agent parsed, from a cache of the agents seen last: a subscription's events come from a few browsers,
    /// and parsing is most of the cost of Amplitude's user-agent fields. Holds at most 1,024 agents.
    static func cached(_ agent: String) -> UserAgent {
        if let hit = cache.withLock({ $0[agent] }) { return hit }
        let parsed = UserAgent(agent)
        cache.withLock { agents in
            if agents.count >= 1024 { agents.removeAll(keepingCapacity: true) }
            agents[agent] = parsed
        }
        return parsed
    }

    private static let cache = Mutex<[String: UserAgent]>([:])

    private static let windowsVersions = [
        "10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista", "5.2": "XP", "5.1": "XP",
    ]

    /// The agent's bytes, and the same with ASCII letters in lower case (so offsets agree), with searches.
    private struct Text {
        let bytes: [UInt8]
        let lower: [UInt8]
        var count: Int { bytes.count }

        init(_ text: String) {
            bytes = Array(text.utf8)
            lower = bytes.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }
        }

        func byte(_ index: Int) -> UInt8? { index < count ? lower[index] : nil }

        /// The offset of the first `needle` (lower case) at or after `start`; with `word`, only where it does not
        /// follow a letter, digit or underscore.
        func find(_ needle: String, from start: Int = 0, word: Bool = false) -> Int? {
            let pattern = Array(needle.utf8)
            guard !pattern.isEmpty, count >= pattern.count else { return nil }
            var i = start
            while i <= count - pattern.count {
                if lower[i] == pattern[0], lower[i..<i + pattern.count].elementsEqual(pattern), !word || i == 0 || !Self.isWord(lower[i - 1]) {
                    return i
                }
                i += 1
            }
            return nil
        }

        /// The earliest of several needles.
        func find(any needles: [String]) -> Int? {
            needles.compactMap { find($0) }.min()
        }

        /// The original text of the bytes from `start` while `accept` holds.
        func run(from start: Int, while accept: (UInt8) -> Bool) -> String {
            var end = start
            while end < count, accept(lower[end]) { end += 1 }
            return start < end ? original(from: start, count: end - start) : ""
        }

        func original(from start: Int, count length: Int) -> String {
            String(decoding: bytes[start..<min(start + length, count)], as: UTF8.self)
        }

        static func isDigit(_ b: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }
        static func isLetter(_ b: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) }
        static func isWord(_ b: UInt8) -> Bool {
            isDigit(b) || isLetter(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) || b == UInt8(ascii: "_")
        }
        static func isVersion(_ b: UInt8) -> Bool { isDigit(b) || b == UInt8(ascii: ".") }
    }
}
