"""Seeded random NetworkPolicies, shared by the network differentials: e2e.real_node_reachability
(against packets) and e2e.network_agreement (the operator against bulwark scan). Each function
takes the caller's random.Random, so a seed replays the same objects.

Policies cover what the model reads: pod and namespace selectors alone and together (labels and
expressions), ipBlocks over the pod range, the world or one address, with except; ports by
number, name and range, TCP and UDP, and protocol alone; Ingress, Egress, both, or policyTypes
left to the API server's defaulting; rules without peers or ports, and empty rule lists."""

POD_VOCAB = {"app": ["a", "b", "c"], "role": ["x", "y"]}
NS_VOCAB = {"team": ["red", "blue"], "env": ["prod", "dev"]}
PORT_NAMES = [("http", "TCP"), ("metrics", "TCP"), ("dns", "UDP"), ("syslog", "UDP")]
NUMBERS = [(8080, "TCP"), (8081, "TCP"), (9090, "TCP"), (7000, "TCP"), (5353, "UDP"),
           (5514, "UDP")]
# Ports a pod may declare: the same name stands for different numbers in different pods.
PORT_CHOICES = [("http", 8080, "TCP"), ("http", 8081, "TCP"), ("metrics", 9090, "TCP"),
                ("dns", 5353, "UDP"), ("", 7000, "TCP"), ("syslog", 5514, "UDP")]


def random_labels(rng, vocab):
    return {k: rng.choice(v) for k, v in vocab.items() if rng.random() < 0.7}


def random_ports(rng):
    ports = rng.sample(PORT_CHOICES, rng.randint(1, 2))
    if sum(1 for p in ports if p[0] == "http") > 1:  # a name stands for one port of a pod
        ports = ports[:1]
    return ports


def selector(rng, vocab):
    r = rng.random()
    if r < 0.25:
        return {}
    key = rng.choice(sorted(vocab))
    if r < 0.6:
        return {"matchLabels": {key: rng.choice(vocab[key])}}
    op = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
    expr = {"key": key, "operator": op}
    if op in ("In", "NotIn"):
        expr["values"] = rng.sample(vocab[key], rng.randint(1, len(vocab[key])))
    return {"matchExpressions": [expr]}


def last_octet_below(address, limit):
    return int(address.split(".")[-1]) < limit


def ip_block(rng, addresses):
    """An ipBlock over the pod range (198.18.0.0/25 and around it), the world, or one of
    `addresses` (the pods', when known), perhaps with one address excepted."""
    choices = ["198.18.0.0/25", "198.18.0.0/24", "0.0.0.0/0", "198.18.0.0/26"]
    if addresses:
        choices.append(rng.choice(addresses) + "/32")
    cidr = rng.choice(choices)
    block = {"cidr": cidr}
    if addresses and not cidr.endswith("/32") and rng.random() < 0.5:
        other = rng.choice(addresses)
        if not cidr.endswith("/26") or last_octet_below(other, 64):
            block["except"] = [other + "/32"]
    elif not addresses and cidr == "0.0.0.0/0" and rng.random() < 0.5:
        block["except"] = [rng.choice(["10.0.0.0/8", "198.18.0.0/15", "169.254.169.254/32"])]
    return {"ipBlock": block}


def peer(rng, addresses):
    kind = rng.choice(["pod", "ns", "both", "ip"])
    if kind == "pod":
        return {"podSelector": selector(rng, POD_VOCAB)}
    if kind == "ns":
        return {"namespaceSelector": selector(rng, NS_VOCAB)}
    if kind == "both":
        return {"podSelector": selector(rng, POD_VOCAB),
                "namespaceSelector": selector(rng, NS_VOCAB)}
    return ip_block(rng, addresses)


def port(rng):
    kind = rng.choice(["number", "name", "range", "protocol"])
    if kind == "number":
        number, protocol = rng.choice(NUMBERS)
        return {"port": number, "protocol": protocol}
    if kind == "name":
        name, protocol = rng.choice(PORT_NAMES)
        return {"port": name, "protocol": protocol}
    if kind == "range":
        return {"port": 8080, "endPort": rng.choice([8080, 8081, 9090]), "protocol": "TCP"}
    return {"protocol": rng.choice(["TCP", "UDP"])}


def rule(rng, addresses, peers_key):
    out = {}
    peers = [peer(rng, addresses) for _ in range(rng.choice([0, 1, 1, 2]))]
    if peers:
        out[peers_key] = peers
    ports = [port(rng) for _ in range(rng.choice([0, 1, 1, 2]))]
    if ports:
        out["ports"] = ports
    return out


def network_policy(rng, index, namespaces, addresses):
    """NetworkPolicy np<index> in one of `namespaces`; `addresses` are the pods' (may be [])."""
    spec = {"podSelector": selector(rng, POD_VOCAB)}
    types = rng.choice([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]])
    if types:
        spec["policyTypes"] = types
    for key, peers_key in (("ingress", "from"), ("egress", "to")):
        count = rng.choice([0, 1, 1, 2])
        if count or rng.random() < 0.3:
            spec[key] = [rule(rng, addresses, peers_key) for _ in range(count)]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"np{index}", "namespace": rng.choice(namespaces)},
            "spec": spec}
