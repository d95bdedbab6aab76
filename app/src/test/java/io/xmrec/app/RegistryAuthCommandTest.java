package io.xmrec.app;

import io.xmrec.schemas.RegistryAccess;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegistryAuthCommandTest {

    static Map<String, String> passwords() {
        Map<String, String> env = new HashMap<>();
        for (String u : RegistryAccess.users().keySet()) {
            env.put(RegistryAuthCommand.passwordVariable(u), "pw-" + u);
        }
        return env;
    }

    @Test
    void hashesAPasswordAsKarapaceDoes() {
        // the user "aladdin" of Karapace's own test auth file (tests/integration/config/karapace.auth.json),
        // whose password its tests give as "opensesame"
        assertEquals("uofa7Uw+IolY0GDeCQApTVAUPlBthFYPFQ+QN+kKtXBzSwddiyLrNnIC2UQcA5X+hCL/mHNNqEMA30oIM4oqxA==",
                RegistryAuthCommand.hash("opensesame", "salt"));
    }

    @Test
    void eachRoleMayRegisterOnlyTheSubjectsOfTheTopicsItWritesAndTheReaderOnlyReads() throws Exception {
        KarapaceAuthFile auth = KarapaceAuthFile.parse(RegistryAuthCommand.render(passwords()::get, new Random(1)));
        for (String role : java.util.List.of("topics", "holdouts", "updater", "evaluator", "ingest", "client", "serve")) {
            String user = RegistryAccess.userOf(role);
            auth.assertRoleMayRegisterItsOwn(role, "http://" + user + ":pw-" + user + "@registry:8081", role);
        }
        assertEquals(RegistryAccess.READER, RegistryAccess.userOf("serve"));
        assertFalse(auth.authenticates("updater", "pw-holdouts"), "a wrong password does not log in");
        assertFalse(auth.authenticates("nobody", "pw-updater"));
        // a subject that only looks like one of a role's: anchored at both ends
        assertFalse(auth.allows("holdouts", "Write", "Subject:xmrec.train-value-2"));
        assertFalse(auth.allows("ingest", "Write", "Subject:xmrec.reviews.-value"));
        assertFalse(auth.allows("ingest", "Write", "Subject:xmrec.reviewsXus-value"));
    }

    @Test
    void saltsDifferPerUserAndRunAndTheFileHoldsNoPassword() {
        String a = RegistryAuthCommand.render(passwords()::get, new Random(1));
        String b = RegistryAuthCommand.render(passwords()::get, new Random(2));
        assertNotEquals(a, b);
        assertFalse(a.contains("pw-updater"));
    }

    @Test
    void aMissingPasswordIsRefusedWithTheVariableNamed() {
        Map<String, String> env = passwords();
        env.remove("REGISTRY_PASSWORD_UPDATER");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RegistryAuthCommand.render(env::get, new Random(1)));
        assertTrue(e.getMessage().contains("REGISTRY_PASSWORD_UPDATER"), e.getMessage());
    }
}
