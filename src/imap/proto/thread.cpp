// THREAD's two algorithms (see thread.h), as RFC 5256 section 3 words
// them; REFERENCES is Jamie Zawinski's threading with the RFC's rules for
// gathering by subject and sorting by date.
#include "imap/proto/thread.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "imap/proto/sort.h"

namespace tern::imap {
namespace {

struct Node {
  int msg = -1;  // index into the messages; -1: a dummy (an id only referenced)
  int parent = -1;
  std::vector<int> children;
};

class Forest {
 public:
  explicit Forest(const std::vector<ThreadMessage>& msgs) : msgs_(msgs) {}

  int add(int msg = -1) {
    nodes_.push_back(Node{msg, -1, {}});
    return static_cast<int>(nodes_.size()) - 1;
  }
  Node& operator[](int i) { return nodes_[static_cast<size_t>(i)]; }
  size_t size() const { return nodes_.size(); }

  bool is_ancestor(int a, int of) const {  // a is of, or above it
    for (int n = of; n != -1; n = nodes_[static_cast<size_t>(n)].parent)
      if (n == a) return true;
    return false;
  }
  void unlink(int child) {
    Node& c = (*this)[child];
    if (c.parent == -1) return;
    auto& sib = (*this)[c.parent].children;
    sib.erase(std::find(sib.begin(), sib.end(), child));
    c.parent = -1;
  }
  void link(int parent, int child) {
    unlink(child);
    (*this)[child].parent = parent;
    (*this)[parent].children.push_back(child);
  }

  // The date and mailbox position a node sorts by: its message's, or for a
  // dummy its first child's (children already sorted).
  std::pair<int64_t, int> key(int n) {
    while ((*this)[n].msg == -1 && !(*this)[n].children.empty()) n = (*this)[n].children.front();
    int m = (*this)[n].msg;
    return m == -1 ? std::pair<int64_t, int>{0, 0} : std::pair<int64_t, int>{msgs_[static_cast<size_t>(m)].date, m};
  }
  void sort_children(std::vector<int>& list) {
    // Deepest first, so a dummy's first child is known before the dummy sorts.
    std::vector<int> stack(list.begin(), list.end()), order;
    while (!stack.empty()) {
      int n = stack.back();
      stack.pop_back();
      order.push_back(n);
      for (int c : (*this)[n].children) stack.push_back(c);
    }
    for (auto it = order.rbegin(); it != order.rend(); ++it) sort_list((*this)[*it].children);
    sort_list(list);
  }
  void sort_list(std::vector<int>& list) {
    std::stable_sort(list.begin(), list.end(), [&](int a, int b) { return key(a) < key(b); });
  }

  // "3 6 (4 23)(44 7 96)" for a node, iteratively (a reply chain can be long).
  std::string format(int root) {
    std::string out;
    struct Frame {
      int node;
      size_t next = 0;
      bool wrap = false;  // this node sits in "( )" among siblings
    };
    std::vector<Frame> stack{{root, 0, false}};
    while (!stack.empty()) {
      Frame& f = stack.back();
      Node& n = (*this)[f.node];
      if (f.next == 0) {
        if (f.wrap) out += '(';
        if (n.msg != -1) out += std::to_string(msgs_[static_cast<size_t>(n.msg)].number);
      }
      if (f.next < n.children.size()) {
        bool many = n.children.size() > 1;
        if (!many && n.msg != -1) out += ' ';
        if (many && f.next == 0 && n.msg != -1) out += ' ';
        int child = n.children[f.next++];
        stack.push_back({child, 0, many});
        continue;
      }
      if (f.wrap) out += ')';
      stack.pop_back();
    }
    return out;
  }

 private:
  const std::vector<ThreadMessage>& msgs_;
  std::vector<Node> nodes_;
};

std::string wrap_roots(Forest& f, std::vector<int>& roots) {
  f.sort_children(roots);
  std::string out;
  for (int r : roots) out += "(" + f.format(r) + ")";
  return out;
}

std::string ordered_subject(const std::vector<ThreadMessage>& msgs) {
  Forest f(msgs);
  std::vector<int> order(msgs.size());
  for (size_t i = 0; i < msgs.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const auto &x = msgs[static_cast<size_t>(a)], &y = msgs[static_cast<size_t>(b)];
    return std::tie(x.base_subject, x.date) < std::tie(y.base_subject, y.date);
  });
  std::vector<int> roots;
  for (size_t i = 0; i < order.size();) {
    int root = f.add(order[i]);
    roots.push_back(root);
    size_t j = i + 1;
    for (; j < order.size() && msgs[static_cast<size_t>(order[j])].base_subject ==
                                   msgs[static_cast<size_t>(order[i])].base_subject;
         ++j)
      f.link(root, f.add(order[j]));  // the rest are siblings, in date order
    i = j;
  }
  // Threads by their first message's date, the children by theirs.
  return wrap_roots(f, roots);
}

std::string references(const std::vector<ThreadMessage>& msgs) {
  Forest f(msgs);
  std::unordered_map<std::string, int> by_id;
  // Step 1: a container per Message-ID (a missing or repeated one gets a
  // unique one), the references chained parent to child, and the message
  // under its last reference.
  for (size_t i = 0; i < msgs.size(); ++i) {
    const ThreadMessage& m = msgs[i];
    int self = -1;
    if (auto it = m.message_id.empty() ? by_id.end() : by_id.find(m.message_id); it != by_id.end()) {
      if (f[it->second].msg == -1) self = it->second;  // a placeholder: this message fills it
    } else if (!m.message_id.empty()) {
      self = by_id[m.message_id] = f.add();
    }
    if (self == -1) self = f.add();  // no id, or a duplicate: a container of its own
    f[self].msg = static_cast<int>(i);
    int prev = -1;
    for (const std::string& id : m.references) {
      auto [it, fresh] = by_id.try_emplace(id, -1);
      if (fresh) it->second = f.add();
      int ref = it->second;
      if (prev != -1 && f[ref].parent == -1 && !f.is_ancestor(ref, prev)) f.link(prev, ref);
      prev = ref;
    }
    if (prev != -1 && prev != self && !f.is_ancestor(self, prev)) f.link(prev, self);
    else if (prev == -1) f.unlink(self);
  }
  // Step 2: the roots.
  std::vector<int> roots;
  for (size_t n = 0; n < f.size(); ++n)
    if (f[static_cast<int>(n)].parent == -1) roots.push_back(static_cast<int>(n));
  // Step 4: dummies go; their children move up (at the top only when alone).
  std::vector<int> work(roots.begin(), roots.end());
  while (!work.empty()) {
    int n = work.back();
    work.pop_back();
    std::vector<int> kids = f[n].children;
    for (int c : kids) work.push_back(c);
    if (f[n].msg != -1) continue;
    int parent = f[n].parent;
    if (parent != -1) {
      auto& sib = f[parent].children;
      auto at = std::find(sib.begin(), sib.end(), n);
      size_t pos = static_cast<size_t>(at - sib.begin());
      sib.erase(at);
      for (int c : kids) f[c].parent = parent;
      sib.insert(sib.begin() + static_cast<long>(pos), kids.begin(), kids.end());
      f[n].children.clear();
      f[n].parent = -1;
    }
  }
  std::vector<int> top;
  for (int r : roots) {
    Node& n = f[r];
    if (n.msg != -1) {
      top.push_back(r);
    } else if (n.children.size() == 1) {
      int c = n.children.front();
      f.unlink(c);
      top.push_back(c);
    } else if (!n.children.empty()) {
      top.push_back(r);
    }
  }
  // Step 5: threads whose roots share a base subject are gathered.
  auto subject_of = [&](int n) -> std::pair<const std::string*, bool> {
    int m = f[n].msg != -1 ? f[n].msg : f[f[n].children.front()].msg;
    if (m == -1) return {nullptr, false};
    const ThreadMessage& msg = msgs[static_cast<size_t>(m)];
    return {&msg.base_subject, msg.reply};
  };
  std::map<std::string, int> table;
  for (int r : top) {
    auto [subject, reply] = subject_of(r);
    if (!subject || subject->empty()) continue;
    auto it = table.find(*subject);
    if (it == table.end()) {
      table[*subject] = r;
      continue;
    }
    int old = it->second;
    bool old_dummy = f[old].msg == -1, dummy = f[r].msg == -1;
    bool old_reply = !old_dummy && msgs[static_cast<size_t>(f[old].msg)].reply;
    if ((dummy && !old_dummy) || (old_reply && !dummy && !reply)) it->second = r;
  }
  // Merging may make new dummies and move roots under others: what is left
  // without a parent (and is not an emptied dummy) is a thread.
  std::vector<int> candidates = top;
  for (int r : top) {
    auto [subject, reply] = subject_of(r);
    auto it = subject && !subject->empty() ? table.find(*subject) : table.end();
    if (it == table.end() || it->second == r) continue;
    int keep = it->second;
    bool keep_dummy = f[keep].msg == -1, dummy = f[r].msg == -1;
    bool keep_reply = !keep_dummy && msgs[static_cast<size_t>(f[keep].msg)].reply;
    if (keep_dummy && dummy) {
      for (int c : std::vector<int>(f[r].children)) f.link(keep, c);
    } else if (keep_dummy) {
      f.link(keep, r);
    } else if (dummy) {
      f.link(r, keep);
      it->second = r;
    } else if (!keep_reply && reply) {
      f.link(keep, r);
    } else {
      int d = f.add();
      f.link(d, keep);
      f.link(d, r);
      it->second = d;
      candidates.push_back(d);
    }
  }
  std::vector<int> gathered;
  for (int c : candidates)
    if (f[c].parent == -1 && (f[c].msg != -1 || !f[c].children.empty())) gathered.push_back(c);
  // Step 6: siblings by date, the threads by their first message's date.
  return wrap_roots(f, gathered);
}

}  // namespace

std::string thread_list(const std::vector<ThreadMessage>& msgs, ThreadAlgorithm algorithm) {
  return algorithm == ThreadAlgorithm::ordered_subject ? ordered_subject(msgs) : references(msgs);
}

std::variant<ThreadRequest, SearchError> parse_thread(const std::vector<Value>& args, size_t first) {
  ThreadRequest req;
  std::string name = first < args.size() ? args[first].keyword() : "";
  if (name == "REFERENCES") req.algorithm = ThreadAlgorithm::references;
  else if (name == "ORDEREDSUBJECT") req.algorithm = ThreadAlgorithm::ordered_subject;
  else return SearchError{"Unknown threading algorithm (REFERENCES or ORDEREDSUBJECT)"};
  auto keys = parse_charset_and_keys(args, first + 1);
  if (auto* e = std::get_if<SearchError>(&keys)) return *e;
  req.search = std::get<SearchRequest>(std::move(keys));
  return req;
}

std::vector<std::string> message_ids(std::string_view value, size_t max) {
  std::vector<std::string> out;
  for (size_t open = value.find('<'); open != std::string_view::npos; open = value.find('<', open + 1)) {
    size_t close = value.find('>', open + 1);
    if (close == std::string_view::npos) break;
    std::string_view id = value.substr(open + 1, close - open - 1);
    if (!id.empty() && id.find('<') == std::string_view::npos) out.emplace_back(id);
    open = close;
  }
  if (out.size() > max) out.erase(out.begin(), out.end() - static_cast<long>(max));
  return out;
}

}  // namespace tern::imap
