// Upserts the local SCRAM-SHA-256/512 user on a running broker (AlterUserScramCredentials over the
// PLAINTEXT listener). Used by deploy/local/lib/kafka-sasl.sh for a data dir formatted without the
// users (so enabling SASL never needs a data reset). Run in source-file mode:
//   TRIPLINE_SCRAM_PASSWORD=... java -cp 'libs/*' AddScramUsers.java 127.0.0.1:39092 tripline
// The password comes from the environment, never argv (visible in ps).
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

public class AddScramUsers {
  public static void main(String[] args) throws Exception {
    String password = System.getenv("TRIPLINE_SCRAM_PASSWORD");
    if (args.length != 2 || password == null || password.isEmpty()) {
      System.err.println("usage: TRIPLINE_SCRAM_PASSWORD=... AddScramUsers BOOTSTRAP USER");
      System.exit(2);
    }
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("request.timeout.ms", "15000");
    p.put("default.api.timeout.ms", "30000");
    try (Admin admin = Admin.create(p)) {
      // One mechanism per request: the broker refuses two alterations of one user in a request.
      for (ScramMechanism m : List.of(ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512)) {
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(args[1], new ScramCredentialInfo(m, 8192), password))).all().get();
      }
    }
    System.out.println("scram users upserted: " + args[1]);
  }
}
