/// One HTTP request an integration wants sent: everything the sender needs, nothing of the event model.
///
/// Integrations build these; a ``DeliverySender`` sends them. Keeping the request a plain value lets tests
/// record exactly what would go on the wire without a network.
public struct HTTPRequestSpec: Sendable, Equatable {
    /// The method, upper case: `POST`, `PUT` or `PATCH` for webhooks.
    public var method: String
    /// The absolute `http` or `https` URL.
    public var url: String
    /// Header fields in the order they are sent; names keep the case they were given.
    public var headers: [(name: String, value: String)]
    /// The exact body bytes (what a signature was computed over).
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name`, compared without regard to case.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    public static func == (lhs: HTTPRequestSpec, rhs: HTTPRequestSpec) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }
}

/// What came back for an ``HTTPRequestSpec``: the status, and at most the start of the body (for logs only).
public struct HTTPResponseSpec: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// The first bytes of the response body; senders may keep none.
    public var bodyPrefix: [UInt8]

    /// Creates a response.
    public init(status: Int, bodyPrefix: [UInt8] = []) {
        self.status = status
        self.bodyPrefix = bodyPrefix
    }
}
