package io.xmrec.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.schemas.RegistryAccess;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

@Command(name = "registry-auth", mixinStandardHelpOptions = true,
        description = "Writes the auth file of a Karapace schema registry for xmrec's deployments: a registry user per "
                + "role that registers schemas (topics, holdouts, updater, evaluator, ingest, client), allowed to write "
                + "only the value subjects of the topics the role writes, and the user 'reader' (serving replicas, "
                + "shops' clients), which may only read. The password of user U comes from the environment variable "
                + "REGISTRY_PASSWORD_U (upper case, '-' as '_'); the file holds salted PBKDF2 hashes, no password.")
final class RegistryAuthCommand implements java.util.concurrent.Callable<Integer> {

    /** Karapace's PBKDF2 iterations for its sha* algorithms. */
    static final int ITERATIONS = 5000;

    @Option(names = "--out", required = true, paramLabel = "FILE",
            description = "The auth file to write (Karapace's registry_authfile); replaced whole.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String json = render(System::getenv, new SecureRandom());
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".registry-auth", ".json");
        Files.writeString(tmp, json);
        // hashes only; the registry's container runs as another user and must read it
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        spec.commandLine().getOut().println("registry auth file " + out + ": users "
                + String.join(", ", RegistryAccess.users().keySet()));
        return 0;
    }

    /** The environment variable that holds a registry user's password. */
    static String passwordVariable(String user) {
        return "REGISTRY_PASSWORD_" + user.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** Karapace's auth file for {@link RegistryAccess#users()}, passwords from {@code env}, salts from {@code random}. */
    static String render(Function<String, String> env, Random random) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        ArrayNode users = root.putArray("users");
        ArrayNode permissions = root.putArray("permissions");
        for (RegistryAccess.User u : RegistryAccess.users().values()) {
            String password = env.apply(passwordVariable(u.name()));
            if (password == null || password.isEmpty()) {
                throw new IllegalArgumentException("registry-auth: " + passwordVariable(u.name())
                        + " is not set (the password of registry user '" + u.name() + "')");
            }
            byte[] saltBytes = new byte[16];
            random.nextBytes(saltBytes);
            String salt = Base64.getUrlEncoder().withoutPadding().encodeToString(saltBytes);
            users.addObject().put("username", u.name()).put("algorithm", "sha512").put("salt", salt)
                    .put("password_hash", hash(password, salt));
            for (RegistryAccess.Permission p : u.permissions()) {
                permissions.addObject().put("username", u.name()).put("operation", p.operation())
                        .put("resource", p.resource());
            }
        }
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Karapace's {@code sha512} password hash: PBKDF2 with HMAC-SHA-512 over the UTF-8 bytes of password
     * and salt, {@value #ITERATIONS} iterations, 64 bytes, in Base64.
     */
    static String hash(String password, String salt) {
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt.getBytes(StandardCharsets.UTF_8), ITERATIONS, 512);
            byte[] key = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
            return Base64.getEncoder().encodeToString(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA512 is not available in this JVM", e);
        }
    }
}
