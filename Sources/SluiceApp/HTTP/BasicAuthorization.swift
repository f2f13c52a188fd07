import Foundation

/// HTTP Basic authorization, as the Tracking API reads it.
enum BasicAuthorization {
    /// The user name in an `Authorization: Basic` header value, whatever the password: the Tracking API's write key.
    ///
    /// Segment's libraries send the write key as the user and an empty password; a value with no `:` is taken as
    /// the key alone. The scheme is matched without regard to case.
    /// - Parameter authorization: The header's value, or `nil` when the request has none.
    /// - Returns: The key, or `nil` when the header is missing, not Basic, not base64 of UTF-8, or names no user.
    static func user(_ authorization: String?) -> String? {
        guard let authorization else { return nil }
        let trimmed = authorization.trimmingOptionalWhitespace
        guard trimmed.count > 6, trimmed.prefix(6).lowercased() == "basic " else { return nil }
        var encoded = String(trimmed.dropFirst(6).trimmingOptionalWhitespace)
        guard encoded.utf8.count <= 4096 else { return nil }
        // Some clients leave out the padding.
        while encoded.utf8.count % 4 != 0 { encoded += "=" }
        guard let data = Data(base64Encoded: encoded), let decoded = String(data: data, encoding: .utf8) else { return nil }
        let user = decoded.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return user.isEmpty ? nil : user
    }
}
