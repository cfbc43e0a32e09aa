package io.spikestream.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * A certificate authority for local TLS: an EC P-256 root that signs key stores for a broker (named
 * {@code localhost} and {@code 127.0.0.1}) and for clients (mutual TLS: the certificate's CN is the user).
 * Made at run time, in pure Java (no keytool process, no dependency); nothing is checked in.
 *
 * <p>Files in its directory: {@code ca.pem} (the certificate every party trusts: Kafka's {@code
 * ssl.truststore.type=PEM}), {@code ca.p12} and {@code ca.password} (its key), and per issued name {@code
 * NAME.p12} and {@code NAME.password} (PKCS12, password in the file next to it). Key and password files are
 * readable by their owner only.
 */
public final class CertificateAuthority {
    private static final String ALIAS = "key";
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
    private static final Duration VALIDITY = Duration.ofDays(825);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final PrivateKey key;
    private final X509Certificate certificate;

    private CertificateAuthority(Path dir, PrivateKey key, X509Certificate certificate) {
        this.dir = dir;
        this.key = key;
        this.certificate = certificate;
    }

    /** The authority in {@code dir}: loaded when it exists there, else created (named {@code commonName}). */
    public static CertificateAuthority createOrLoad(Path dir, String commonName) {
        try {
            Files.createDirectories(dir);
            Path store = dir.resolve("ca.p12");
            if (Files.exists(store)) {
                KeyStoreFile file = new KeyStoreFile(store, Files.readString(dir.resolve("ca.password")).strip());
                KeyStore ks = file.load();
                return new CertificateAuthority(dir, (PrivateKey) ks.getKey(ALIAS, file.password().toCharArray()),
                        (X509Certificate) ks.getCertificate(ALIAS));
            }
            KeyPair pair = newKeyPair();
            byte[] name = name(commonName);
            X509Certificate cert = sign(pair.getPublic().getEncoded(), name, name, pair.getPrivate(),
                    extension("2.5.29.19", true, Der.sequence(Der.bool(true))));
            CertificateAuthority ca = new CertificateAuthority(dir, pair.getPrivate(), cert);
            ca.write("ca", pair.getPrivate(), new Certificate[] {cert});
            Files.writeString(dir.resolve("ca.pem"), pem(cert));
            return ca;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the certificate authority in " + dir, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create the certificate authority in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The CA's certificate as PEM: the trust store of everyone it issued for. */
    public Path trustStore() {
        return dir.resolve("ca.pem");
    }

    public Path directory() {
        return dir;
    }

    /**
     * A key store for {@code commonName} signed by this authority, valid for the host names {@code localhost}
     * and {@code 127.0.0.1} (so it serves as a broker's and as a client's certificate); kept when it exists.
     */
    public KeyStoreFile issue(String commonName) {
        Path store = dir.resolve(commonName + ".p12");
        try {
            if (Files.exists(store)) {
                return new KeyStoreFile(store, Files.readString(dir.resolve(commonName + ".password")).strip());
            }
            KeyPair pair = newKeyPair();
            byte[] san = Der.sequence(Der.implicit(2, "localhost".getBytes(StandardCharsets.US_ASCII)),
                    Der.implicit(7, InetAddress.getLoopbackAddress().getAddress()));
            X509Certificate cert = sign(pair.getPublic().getEncoded(), name(commonName), name(principalOf(certificate)), key,
                    extension("2.5.29.19", true, Der.sequence()), extension("2.5.29.17", false, san));
            return write(commonName, pair.getPrivate(), new Certificate[] {cert, certificate});
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the key store " + store, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a certificate for " + commonName + ": " + e.getMessage(), e);
        }
    }

    private KeyStoreFile write(String name, PrivateKey privateKey, Certificate[] chain) throws IOException, GeneralSecurityException {
        String password = randomPassword();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(ALIAS, privateKey, password.toCharArray(), chain);
        Path store = dir.resolve(name + ".p12");
        Path passwordFile = dir.resolve(name + ".password");
        ownerOnly(passwordFile);
        Files.writeString(passwordFile, password + "\n");
        ownerOnly(store);
        try (OutputStream out = Files.newOutputStream(store)) {
            ks.store(out, password.toCharArray());
        }
        return new KeyStoreFile(store, password);
    }

    /** An empty file only its owner can read, where the file system has permissions. */
    private static void ownerOnly(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            // rewritten in place: it was made owner-only when it was created
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static X509Certificate sign(byte[] subjectPublicKeyInfo, byte[] subject, byte[] issuer, PrivateKey signer,
                                        byte[]... extensions) throws GeneralSecurityException {
        Instant now = Instant.now();
        byte[] algorithm = Der.sequence(Der.oid(ECDSA_WITH_SHA256));
        byte[] tbs = Der.sequence(
                Der.explicit(0, Der.integer(BigInteger.TWO)), // v3
                Der.integer(new BigInteger(63, RANDOM).add(BigInteger.ONE)),
                algorithm,
                issuer,
                Der.sequence(Der.time(now.minus(Duration.ofHours(1))), Der.time(now.plus(VALIDITY))),
                subject,
                subjectPublicKeyInfo,
                Der.explicit(3, Der.sequence(extensions)));
        Signature s = Signature.getInstance(SIGNATURE);
        s.initSign(signer, RANDOM);
        s.update(tbs);
        byte[] der = Der.sequence(tbs, algorithm, Der.bitString(s.sign()));
        try (InputStream in = new java.io.ByteArrayInputStream(der)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octets(value)) : Der.sequence(Der.oid(oid), Der.octets(value));
    }

    /** {@code CN=commonName}. */
    private static byte[] name(String commonName) {
        return Der.sequence(Der.set(Der.sequence(Der.oid("2.5.4.3"), Der.utf8(commonName))));
    }

    private static String principalOf(X509Certificate cert) {
        String dn = cert.getSubjectX500Principal().getName();
        return dn.startsWith("CN=") ? dn.substring(3) : dn;
    }

    private static String pem(X509Certificate cert) throws GeneralSecurityException {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    /** 32 characters of [A-Za-z0-9]: safe inside JAAS quotes and properties files. */
    public static String randomPassword() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder(32);
        for (int i = 0; i < 32; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** A PKCS12 key store and its password (which {@link #toString()} does not print). */
    public record KeyStoreFile(Path path, String password) {
        KeyStore load() throws IOException, GeneralSecurityException {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(path)) {
                ks.load(in, password.toCharArray());
            }
            return ks;
        }

        @Override
        public String toString() {
            return "KeyStoreFile[" + path + ", password=[hidden]]";
        }
    }
}
