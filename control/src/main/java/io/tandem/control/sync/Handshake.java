package io.tandem.control.sync;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * The cryptography of the sync channel's handshake, with HMAC-SHA256 throughout. Both sides send a HELLO at once,
 * then, having read the peer's HELLO, an AUTH:
 * <pre>
 *   connector (lower address)                         acceptor (higher address)
 *     HELLO(seq 0: role C, nonce_C, name_C)  ------>
 *                                            <------  HELLO(seq 0: role A, nonce_A, name_A)
 *     AUTH(seq 1: proof_C)                   ------>
 *                                            <------  AUTH(seq 1: proof_A)
 *     messages and heartbeats, seq 2, 3, ...  <----->
 * </pre>
 * <ul>
 *   <li>{@code root} is the shared key, or a fixed public constant when the channel runs without one (then the MACs
 *   still catch corruption and misordering, but anyone at the peer's address could join).</li>
 *   <li>HELLO frames are MACed with {@code hello = HMAC(root, "tandem-sync v1 hello")}: a peer with another key is
 *   rejected by both sides at the first frame.</li>
 *   <li>Direction keys: {@code key_R = HMAC(root, "tandem-sync v1 key" | R | nonce_C | nonce_A)} for the frames
 *   that role {@code R} sends. Fresh random nonces on both sides make every connection's keys new, so no frame of an
 *   earlier connection verifies in a later one, whichever side replays it; distinct keys per direction stop a
 *   frame from being reflected to its sender.</li>
 *   <li>Proofs: {@code proof_R = HMAC(root, "tandem-sync v1 auth" | R | nonce_C | nonce_A | len name_C | name_C |
 *   len name_A | name_A)}; each side checks the peer's proof in constant time before the session counts as up.</li>
 * </ul>
 * Helpers are static and thread-safe; each call makes its own {@link Mac}.
 */
final class Handshake
{
    /** The JCA name of the MAC. */
    static final String HMAC_ALGORITHM = "HmacSHA256";
    /** Bytes of a nonce. */
    static final int NONCE_LENGTH = 32;
    /** Bytes of a derived key and of a proof. */
    static final int KEY_LENGTH = 32;
    /** The longest node name, in UTF-8 bytes. */
    static final int MAX_NAME_LENGTH = 64;
    /** HELLO of the side that connects: the node with the lower address. */
    static final int ROLE_CONNECTOR = 0;
    /** HELLO of the side that accepts: the node with the higher address. */
    static final int ROLE_ACCEPTOR = 1;

    private static final byte[] UNAUTHENTICATED_ROOT_KEY =
        "tandem-sync v1: no shared key configured".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HELLO_LABEL = "tandem-sync v1 hello".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_LABEL = "tandem-sync v1 key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] AUTH_LABEL = "tandem-sync v1 auth".getBytes(StandardCharsets.US_ASCII);
    private static final int HELLO_FIXED_LENGTH = 1 + 1 + NONCE_LENGTH + 1;

    /**
     * A peer's HELLO.
     *
     * @param version the peer's protocol version.
     * @param role    {@link #ROLE_CONNECTOR} or {@link #ROLE_ACCEPTOR}.
     * @param nonce   the peer's nonce, {@link #NONCE_LENGTH} bytes.
     * @param name    the peer's node name in UTF-8, 1..{@link #MAX_NAME_LENGTH} bytes.
     */
    record Hello(int version, int role, byte[] nonce, byte[] name)
    {
        /** @return the name as text. */
        String nameText()
        {
            return new String(name, StandardCharsets.UTF_8);
        }
    }

    private Handshake()
    {
    }

    /** @return a new HMAC-SHA256 instance, not initialised. */
    static Mac newMac()
    {
        try
        {
            return Mac.getInstance(HMAC_ALGORITHM);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HMAC-SHA256 is not available", ex);
        }
    }

    /**
     * @param sharedKey the configured key, or null.
     * @return the root of every derivation: the key itself, or the public constant when there is none.
     */
    static byte[] rootKey(final byte[] sharedKey)
    {
        return null == sharedKey ? UNAUTHENTICATED_ROOT_KEY.clone() : sharedKey.clone();
    }

    /**
     * @param rootKey see {@link #rootKey(byte[])}.
     * @return the key that MACs HELLO frames.
     */
    static byte[] helloKey(final byte[] rootKey)
    {
        return hmac(rootKey, HELLO_LABEL);
    }

    /**
     * @param rootKey        see {@link #rootKey(byte[])}.
     * @param senderRole     the role whose frames the key MACs.
     * @param connectorNonce the connector's nonce of this connection.
     * @param acceptorNonce  the acceptor's nonce of this connection.
     * @return the key for the frames that {@code senderRole} sends after its HELLO.
     */
    static byte[] directionKey(
        final byte[] rootKey, final int senderRole, final byte[] connectorNonce, final byte[] acceptorNonce)
    {
        return hmac(rootKey, KEY_LABEL, new byte[]{ (byte)senderRole }, connectorNonce, acceptorNonce);
    }

    /**
     * @param rootKey        see {@link #rootKey(byte[])}.
     * @param proverRole     the role that sends the proof.
     * @param connectorNonce the connector's nonce.
     * @param acceptorNonce  the acceptor's nonce.
     * @param connectorName  the connector's name as in its HELLO.
     * @param acceptorName   the acceptor's name as in its HELLO.
     * @return the AUTH payload of {@code proverRole}.
     */
    static byte[] proof(
        final byte[] rootKey,
        final int proverRole,
        final byte[] connectorNonce,
        final byte[] acceptorNonce,
        final byte[] connectorName,
        final byte[] acceptorName)
    {
        return hmac(rootKey, AUTH_LABEL, new byte[]{ (byte)proverRole }, connectorNonce, acceptorNonce,
            new byte[]{ (byte)connectorName.length }, connectorName, new byte[]{ (byte)acceptorName.length },
            acceptorName);
    }

    /**
     * HELLO payload:
     * <pre>
     *  +---------+------+----------------+-------------+-------------------+
     *  | version | role | nonce (32)     | name length | name (UTF-8)      |
     *  +---------+------+----------------+-------------+-------------------+
     *     1 B      1 B       32 B             1 B         1..64 B
     * </pre>
     *
     * @param role  this side's role.
     * @param nonce this side's nonce.
     * @param name  this side's name in UTF-8.
     * @return the payload.
     */
    static byte[] encodeHello(final int role, final byte[] nonce, final byte[] name)
    {
        final ByteBuffer hello = ByteBuffer.allocate(HELLO_FIXED_LENGTH + name.length);
        hello.put((byte)SyncFrameDescriptor.VERSION).put((byte)role).put(nonce).put((byte)name.length).put(name);
        return hello.array();
    }

    /**
     * @param payload a HELLO payload, from its position to its limit; the position is not moved.
     * @return the HELLO, or null when it is malformed.
     */
    static Hello parseHello(final ByteBuffer payload)
    {
        final ByteBuffer hello = payload.duplicate();
        if (hello.remaining() < HELLO_FIXED_LENGTH + 1)
        {
            return null;
        }
        final int version = hello.get() & 0xFF;
        final int role = hello.get() & 0xFF;
        final byte[] nonce = new byte[NONCE_LENGTH];
        hello.get(nonce);
        final int nameLength = hello.get() & 0xFF;
        if ((ROLE_CONNECTOR != role && ROLE_ACCEPTOR != role) || nameLength < 1 || nameLength > MAX_NAME_LENGTH ||
            hello.remaining() != nameLength)
        {
            return null;
        }
        final byte[] name = new byte[nameLength];
        hello.get(name);
        return new Hello(version, role, nonce, name);
    }

    /**
     * @param a one array.
     * @param b another.
     * @return whether both have the same bytes, in time that does not depend on where they differ.
     */
    static boolean constantTimeEquals(final byte[] a, final byte[] b)
    {
        if (a.length != b.length)
        {
            return false;
        }
        int difference = 0;
        for (int i = 0; i < a.length; i++)
        {
            difference |= a[i] ^ b[i];
        }
        return 0 == difference;
    }

    private static byte[] hmac(final byte[] key, final byte[]... parts)
    {
        final Mac mac = newMac();
        try
        {
            mac.init(new SecretKeySpec(key, HMAC_ALGORITHM));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
        for (final byte[] part : parts)
        {
            mac.update(part);
        }
        return mac.doFinal();
    }
}
