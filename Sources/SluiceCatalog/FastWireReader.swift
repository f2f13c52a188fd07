import SluiceCore

/// Reads entries in the wire shape straight from JSON bytes into the model, for start-up.
///
/// The general path (``JSONValue/parse(_:)`` then ``WireFormat``) builds a dictionary for every
/// object and takes about 0.3 s in release for the shipped catalog; this one reads the known
/// shapes field by field and builds ``JSONValue``s only for free-form values, several times
/// faster. It gives up (``Failure``) at anything unexpected, with no message: the caller then
/// runs the general path, which gives the error its entry and field. On what it accepts, it
/// yields the same models as the general path (a test decodes the shipped catalog both ways).
///
/// Its tokens (strings, numbers, literals) and free-form values are Core's ``JSONScanner`` and
/// ``JSONValue/read(from:)``, the tokenizer ``JSONValue/parse(_:)`` uses: Sluice has one.
struct FastWireReader {
    /// The reader gave up; the general path will say why.
    struct Failure: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0

    /// A reader at the start of `bytes`.
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Reads a whole catalog in Sluice's format.
    static func sluiceFormat(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> ([DestinationMetadata], [SourceMetadata]) {
        // Validate the UTF-8 once: every string then lies between ASCII quotes of valid text, and
        // String(decoding:) makes it without the per-call cost of String(validating:).
        guard JSONScanner.isUTF8(bytes) else { throw Failure() }
        var r = FastWireReader(bytes)
        var destinations: [DestinationMetadata]?
        var sources: [SourceMetadata]?
        var version: JSONValue?
        try r.beginObject()
        while let key = try r.nextKey() {
            if r.equals(key, "sluiceCatalog") {
                guard version == nil else { throw Failure() }
                version = try r.value()
            } else if r.equals(key, "destinations") {
                guard destinations == nil else { throw Failure() }
                var list: [DestinationMetadata] = []
                list.reserveCapacity(600)
                try r.beginArray()
                while try r.nextElement() { list.append(try r.destination()) }
                destinations = list
            } else if r.equals(key, "sources") {
                guard sources == nil else { throw Failure() }
                var list: [SourceMetadata] = []
                list.reserveCapacity(150)
                try r.beginArray()
                while try r.nextElement() { list.append(try r.source()) }
                sources = list
            } else {
                _ = try r.value()
            }
        }
        r.skipWhitespace()
        guard r.i == r.bytes.count, version == .number(1), let destinations, let sources else { throw Failure() }
        return (destinations, sources)
    }

    // MARK: - Entries

    private mutating func destination() throws(Failure) -> DestinationMetadata {
        var d = DestinationMetadata(
            id: "", name: "", description: "", slug: "", logos: .init(default: ""), options: [], status: "", categories: [],
            website: "", components: [], previousNames: [],
            supportedMethods: .init(track: false, pageview: false, identify: false, group: false, alias: false),
            supportedPlatforms: .init(browser: false, mobile: false, server: false, warehouse: false, cloudAppObject: false),
            supportedFeatures: .init(
                cloudModeInstances: "0", deviceModeInstances: "0", replay: false, browserUnbundling: false, browserUnbundlingPublic: false
            ),
            actions: [], presets: [], contacts: [], partnerOwned: false, supportedRegions: [], regionEndpoints: []
        )
        var seen = Seen()
        try beginObject()
        while let key = try nextKey() {
            if equals(key, "id") {
                try seen.mark(0); d.id = try requiredString()
            } else if equals(key, "name") {
                try seen.mark(1); d.name = try requiredString()
            } else if equals(key, "description") {
                try seen.mark(2); d.description = try string() ?? ""
            } else if equals(key, "slug") {
                try seen.mark(3); d.slug = try requiredString()
            } else if equals(key, "logos") {
                try seen.mark(4); d.logos = try logos()
            } else if equals(key, "options") {
                try seen.mark(5); d.options = try options()
            } else if equals(key, "status") {
                try seen.mark(6); d.status = try string() ?? ""
            } else if equals(key, "categories") {
                try seen.mark(7); d.categories = try strings()
            } else if equals(key, "website") {
                try seen.mark(8); d.website = try string() ?? ""
            } else if equals(key, "components") {
                try seen.mark(9)
                d.components = try objects { (r) throws(Failure) in
                    var c = DestinationMetadata.Component(code: "", owner: nil, type: "")
                    var seen = Seen()
                    while let key = try r.nextKey() {
                        if r.equals(key, "code") {
                            try seen.mark(0); c.code = try r.string() ?? ""
                        } else if r.equals(key, "owner") {
                            try seen.mark(1); c.owner = try r.string()
                        } else if r.equals(key, "type") {
                            try seen.mark(2); c.type = try r.string() ?? ""
                        } else {
                            _ = try r.value()
                        }
                    }
                    return c
                }
            } else if equals(key, "previousNames") {
                try seen.mark(10); d.previousNames = try strings()
            } else if equals(key, "supportedMethods") {
                try seen.mark(11)
                if try !null() {
                    try beginObject()
                    var s = Seen()
                    while let key = try nextKey() {
                        if equals(key, "track") {
                            try s.mark(0); d.supportedMethods.track = try bool()
                        } else if equals(key, "pageview") {
                            try s.mark(1); d.supportedMethods.pageview = try bool()
                        } else if equals(key, "identify") {
                            try s.mark(2); d.supportedMethods.identify = try bool()
                        } else if equals(key, "group") {
                            try s.mark(3); d.supportedMethods.group = try bool()
                        } else if equals(key, "alias") {
                            try s.mark(4); d.supportedMethods.alias = try bool()
                        } else {
                            _ = try value()
                        }
                    }
                }
            } else if equals(key, "supportedPlatforms") {
                try seen.mark(12)
                if try !null() {
                    try beginObject()
                    var s = Seen()
                    while let key = try nextKey() {
                        if equals(key, "browser") {
                            try s.mark(0); d.supportedPlatforms.browser = try bool()
                        } else if equals(key, "mobile") {
                            try s.mark(1); d.supportedPlatforms.mobile = try bool()
                        } else if equals(key, "server") {
                            try s.mark(2); d.supportedPlatforms.server = try bool()
                        } else if equals(key, "warehouse") {
                            try s.mark(3); d.supportedPlatforms.warehouse = try bool()
                        } else if equals(key, "cloudAppObject") {
                            try s.mark(4); d.supportedPlatforms.cloudAppObject = try bool()
                        } else {
                            _ = try value()
                        }
                    }
                }
            } else if equals(key, "supportedFeatures") {
                try seen.mark(13)
                if try !null() {
                    try beginObject()
                    var s = Seen()
                    while let key = try nextKey() {
                        if equals(key, "cloudModeInstances") {
                            try s.mark(0); d.supportedFeatures.cloudModeInstances = try string() ?? "0"
                        } else if equals(key, "deviceModeInstances") {
                            try s.mark(1); d.supportedFeatures.deviceModeInstances = try string() ?? "0"
                        } else if equals(key, "replay") {
                            try s.mark(2); d.supportedFeatures.replay = try bool()
                        } else if equals(key, "browserUnbundling") {
                            try s.mark(3); d.supportedFeatures.browserUnbundling = try bool()
                        } else if equals(key, "browserUnbundlingPublic") {
                            try s.mark(4); d.supportedFeatures.browserUnbundlingPublic = try bool()
                        } else {
                            _ = try value()
                        }
                    }
                }
            } else if equals(key, "actions") {
                try seen.mark(14); d.actions = try objects { (r) throws(Failure) in try r.action() }
            } else if equals(key, "presets") {
                try seen.mark(15)
                d.presets = try objects { (r) throws(Failure) in
                    var p = DestinationMetadata.Preset(actionId: "", name: "", fields: [:], trigger: "")
                    var seen = Seen()
                    while let key = try r.nextKey() {
                        if r.equals(key, "actionId") {
                            try seen.mark(0); p.actionId = try r.requiredString()
                        } else if r.equals(key, "name") {
                            try seen.mark(1); p.name = try r.string() ?? ""
                        } else if r.equals(key, "fields") {
                            try seen.mark(2)
                            switch try r.value() {
                            case .object(let fields): p.fields = fields
                            case .null: break
                            default: throw Failure()
                            }
                        } else if r.equals(key, "trigger") {
                            try seen.mark(3); p.trigger = try r.requiredString()
                        } else {
                            _ = try r.value()
                        }
                    }
                    guard seen.has(0), seen.has(3) else { throw Failure() }
                    return p
                }
            } else if equals(key, "contacts") {
                try seen.mark(16)
                d.contacts = try objects { (r) throws(Failure) in
                    var c = DestinationMetadata.Contact(name: "", email: "", role: "", isPrimary: false)
                    var seen = Seen()
                    while let key = try r.nextKey() {
                        if r.equals(key, "name") {
                            try seen.mark(0); c.name = try r.string() ?? ""
                        } else if r.equals(key, "email") {
                            try seen.mark(1); c.email = try r.string() ?? ""
                        } else if r.equals(key, "role") {
                            try seen.mark(2); c.role = try r.string() ?? ""
                        } else if r.equals(key, "isPrimary") {
                            try seen.mark(3); c.isPrimary = try r.bool()
                        } else {
                            _ = try r.value()
                        }
                    }
                    return c
                }
            } else if equals(key, "partnerOwned") {
                try seen.mark(17); d.partnerOwned = try bool()
            } else if equals(key, "supportedRegions") {
                try seen.mark(18); d.supportedRegions = try strings()
            } else if equals(key, "regionEndpoints") {
                try seen.mark(19); d.regionEndpoints = try strings()
            } else {
                _ = try value()
            }
        }
        guard seen.has(0), seen.has(1), seen.has(3) else { throw Failure() }
        return d
    }

    private mutating func action() throws(Failure) -> DestinationAction {
        var a = DestinationAction(id: "", slug: "", name: "", description: "", platform: "", hidden: false, defaultTrigger: nil, fields: [])
        var seen = Seen()
        while let key = try nextKey() {
            if equals(key, "id") {
                try seen.mark(0); a.id = try requiredString()
            } else if equals(key, "slug") {
                try seen.mark(1); a.slug = try requiredString()
            } else if equals(key, "name") {
                try seen.mark(2); a.name = try requiredString()
            } else if equals(key, "description") {
                try seen.mark(3); a.description = try string() ?? ""
            } else if equals(key, "platform") {
                try seen.mark(4); a.platform = try string() ?? ""
            } else if equals(key, "hidden") {
                try seen.mark(5); a.hidden = try bool()
            } else if equals(key, "defaultTrigger") {
                try seen.mark(6); a.defaultTrigger = try string()
            } else if equals(key, "fields") {
                try seen.mark(7); a.fields = try objects { (r) throws(Failure) in try r.field() }
            } else {
                _ = try value()
            }
        }
        guard seen.has(0), seen.has(1), seen.has(2) else { throw Failure() }
        return a
    }

    private mutating func field() throws(Failure) -> ActionField {
        var f = ActionField(
            id: "", sortOrder: 0, fieldKey: "", label: "", type: "", description: "", placeholder: nil, defaultValue: nil,
            required: false, multiple: false, choices: nil, dynamic: false, allowNull: false, hidden: false
        )
        var seen = Seen()
        while let key = try nextKey() {
            if equals(key, "id") {
                try seen.mark(0); f.id = try requiredString()
            } else if equals(key, "sortOrder") {
                try seen.mark(1); f.sortOrder = try number()
            } else if equals(key, "fieldKey") {
                try seen.mark(2); f.fieldKey = try requiredString()
            } else if equals(key, "label") {
                try seen.mark(3); f.label = try string() ?? ""
            } else if equals(key, "type") {
                try seen.mark(4); f.type = try requiredString()
            } else if equals(key, "description") {
                try seen.mark(5); f.description = try string() ?? ""
            } else if equals(key, "placeholder") {
                try seen.mark(6); f.placeholder = try string()
            } else if equals(key, "defaultValue") {
                try seen.mark(7); f.defaultValue = try value()
            } else if equals(key, "required") {
                try seen.mark(8); f.required = try bool()
            } else if equals(key, "multiple") {
                try seen.mark(9); f.multiple = try bool()
            } else if equals(key, "choices") {
                try seen.mark(10)
                let choices = try value()
                // Not `isNull ? nil : choices`: JSONValue is ExpressibleByNilLiteral, so that `nil` would be `.null`.
                f.choices = choices.isNull ? Optional<JSONValue>.none : choices
            } else if equals(key, "dynamic") {
                try seen.mark(11); f.dynamic = try bool()
            } else if equals(key, "allowNull") {
                try seen.mark(12); f.allowNull = try bool()
            } else if equals(key, "hidden") {
                try seen.mark(13); f.hidden = try bool()
            } else {
                _ = try value()
            }
        }
        guard seen.has(0), seen.has(2), seen.has(4) else { throw Failure() }
        return f
    }

    private mutating func source() throws(Failure) -> SourceMetadata {
        var s = SourceMetadata(
            id: "", name: "", slug: "", description: "", logos: .init(default: ""), options: [], categories: [],
            isCloudEventSource: false)
        var seen = Seen()
        try beginObject()
        while let key = try nextKey() {
            if equals(key, "id") {
                try seen.mark(0); s.id = try requiredString()
            } else if equals(key, "name") {
                try seen.mark(1); s.name = try requiredString()
            } else if equals(key, "slug") {
                try seen.mark(2); s.slug = try requiredString()
            } else if equals(key, "description") {
                try seen.mark(3); s.description = try string() ?? ""
            } else if equals(key, "logos") {
                try seen.mark(4); s.logos = try logos()
            } else if equals(key, "options") {
                try seen.mark(5); s.options = try options()
            } else if equals(key, "categories") {
                try seen.mark(6); s.categories = try strings()
            } else if equals(key, "isCloudEventSource") {
                try seen.mark(7); s.isCloudEventSource = try bool()
            } else if equals(key, "status") {
                try seen.mark(8); s.status = try string() ?? "PUBLIC"
            } else if equals(key, "partnerOwned") {
                try seen.mark(9); s.partnerOwned = try bool()
            } else {
                _ = try value()
            }
        }
        guard seen.has(0), seen.has(1), seen.has(2) else { throw Failure() }
        return s
    }

    private mutating func logos() throws(Failure) -> DestinationMetadata.Logos {
        var logos = DestinationMetadata.Logos(default: "")
        if try null() { return logos }
        try beginObject()
        var seen = Seen()
        while let key = try nextKey() {
            if equals(key, "default") {
                try seen.mark(0); logos.default = try string() ?? ""
            } else if equals(key, "mark") {
                try seen.mark(1); logos.mark = try string()
            } else if equals(key, "alt") {
                try seen.mark(2); logos.alt = try string()
            } else {
                _ = try value()
            }
        }
        return logos
    }

    private mutating func options() throws(Failure) -> [IntegrationOption] {
        try objects { (r) throws(Failure) in
            var o = IntegrationOption(name: "", type: "", defaultValue: nil, description: "", required: false, label: "")
            var seen = Seen()
            while let key = try r.nextKey() {
                if r.equals(key, "name") {
                    try seen.mark(0); o.name = try r.requiredString()
                } else if r.equals(key, "type") {
                    try seen.mark(1); o.type = try r.requiredString()
                } else if r.equals(key, "defaultValue") {
                    try seen.mark(2); o.defaultValue = try r.value()
                } else if r.equals(key, "description") {
                    try seen.mark(3); o.description = try r.string() ?? ""
                } else if r.equals(key, "required") {
                    try seen.mark(4); o.required = try r.bool()
                } else if r.equals(key, "label") {
                    try seen.mark(5); o.label = try r.string() ?? ""
                } else {
                    _ = try r.value()
                }
            }
            guard seen.has(0), seen.has(1) else { throw Failure() }
            return o
        }
    }

    // MARK: - Typed values (null reads as absent, as in the general path)

    /// Keys seen in one object, to refuse a repeated key as the general parser does.
    private struct Seen {
        var bits: UInt32 = 0
        /// Notes key number `bit`; a second time is a repeated key.
        mutating func mark(_ bit: UInt32) throws(Failure) {
            guard bits & (1 << bit) == 0 else { throw Failure() }
            bits |= 1 << bit
        }
        /// Whether key number `bit` was seen.
        func has(_ bit: UInt32) -> Bool { bits & (1 << bit) != 0 }
    }

    /// Consumes a `null` if one is next.
    private mutating func null() throws(Failure) -> Bool {
        skipWhitespace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func string() throws(Failure) -> String? {
        skipWhitespace()
        guard i < bytes.count else { throw Failure() }
        if bytes[i] == UInt8(ascii: "\"") { return try stringBody() }
        try literal("null")
        return nil
    }

    private mutating func requiredString() throws(Failure) -> String {
        guard let s = try string(), !s.isEmpty else { throw Failure() }
        return s
    }

    private mutating func bool() throws(Failure) -> Bool {
        skipWhitespace()
        guard i < bytes.count else { throw Failure() }
        switch bytes[i] {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: try literal("null"); return false
        }
    }

    private mutating func number() throws(Failure) -> Double {
        skipWhitespace()
        guard i < bytes.count else { throw Failure() }
        if bytes[i] == UInt8(ascii: "n") {
            try literal("null")
            return 0
        }
        return try numberBody()
    }

    private mutating func strings() throws(Failure) -> [String] {
        if try null() { return [] }
        try beginArray()
        var list: [String] = []
        while try nextElement() {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure() }
            list.append(try stringBody())
        }
        return list
    }

    /// A list of objects; `read` is called inside each object's braces (after `{`).
    private mutating func objects<T>(_ read: (inout FastWireReader) throws(Failure) -> T) throws(Failure) -> [T] {
        if try null() { return [] }
        try beginArray()
        var list: [T] = []
        while try nextElement() {
            try beginObject()
            list.append(try read(&self))
        }
        return list
    }

    // MARK: - Structure

    private mutating func beginObject() throws(Failure) {
        skipWhitespace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { throw Failure() }
        i += 1
        depth += 1
        guard depth <= 512 else { throw Failure() }
        first = true
    }

    private var first = true

    /// The next key of the object being read, or `nil` after its closing brace.
    private mutating func nextKey() throws(Failure) -> Range<Int>? {
        skipWhitespace()
        guard i < bytes.count else { throw Failure() }
        if bytes[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            first = false
            return nil
        }
        if !first {
            guard bytes[i] == UInt8(ascii: ",") else { throw Failure() }
            i += 1
            skipWhitespace()
        }
        first = false
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure() }
        i += 1
        let start = i
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            guard bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 else { throw Failure() }  // keys with escapes: general path
            i += 1
        }
        guard i < bytes.count else { throw Failure() }
        let key = start..<i
        i += 1
        skipWhitespace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure() }
        i += 1
        return key
    }

    private mutating func beginArray() throws(Failure) {
        skipWhitespace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { throw Failure() }
        i += 1
        depth += 1
        guard depth <= 512 else { throw Failure() }
        first = true
    }

    /// Whether another element follows in the array being read; consumes the closing bracket when not.
    private mutating func nextElement() throws(Failure) -> Bool {
        skipWhitespace()
        guard i < bytes.count else { throw Failure() }
        if bytes[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            first = false
            return false
        }
        if !first {
            guard bytes[i] == UInt8(ascii: ",") else { throw Failure() }
            i += 1
        }
        first = false
        return true
    }

    private func equals(_ key: Range<Int>, _ name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        let p = name.utf8Start
        var k = key.lowerBound
        var j = 0
        while k < key.upperBound {
            if bytes[k] != p[j] { return false }
            k += 1
            j += 1
        }
        return true
    }

    // MARK: - Tokens, read by Core's JSONScanner

    /// Runs `read` with the shared tokenizer at the reader's position, and moves the reader past what it read. The
    /// whole input was checked to be UTF-8, so strings are made without checking them again.
    private mutating func scan<T>(_ read: (inout JSONScanner) throws(JSONParseError) -> T) throws(Failure) -> T {
        var scanner = JSONScanner(bytes, at: i, validated: true)
        do {
            let value = try read(&scanner)
            i = scanner.index
            return value
        } catch {
            throw Failure()
        }
    }

    /// Any JSON value, as the general parser reads it (``JSONValue/read(from:)``).
    private mutating func value() throws(Failure) -> JSONValue {
        skipWhitespace()
        return try scan { (scanner) throws(JSONParseError) in try JSONValue.read(from: &scanner) }
    }

    private mutating func skipWhitespace() {
        var scanner = JSONScanner(bytes, at: i)
        scanner.skipWhitespace()
        i = scanner.index
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        try scan { (scanner) throws(JSONParseError) in try scanner.literal(word) }
    }

    /// The text between two quotes (the whole input was checked to be UTF-8).
    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// A string whose opening quote is next.
    private mutating func stringBody() throws(Failure) -> String {
        try scan { (scanner) throws(JSONParseError) in try scanner.string() }
    }

    /// A number in JSON's grammar.
    private mutating func numberBody() throws(Failure) -> Double {
        try scan { (scanner) throws(JSONParseError) in try scanner.number() }
    }
}
