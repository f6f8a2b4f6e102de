// SharedListings (see shared_listings.h): the process's map from folder to
// its latest listing, under one lock, held only to look up or swap a pointer.
#include "store/shared_listings.h"

namespace tern::store {

SharedListings& SharedListings::process() {
  static auto* listings = new SharedListings();  // leaked: mailboxes may end during exit
  return *listings;
}

std::unique_ptr<SharedListings::Member> SharedListings::join(const std::string& dir) {
  std::lock_guard lock(mu_);
  Member::Entry& e = entries_[dir];
  ++e.members;
  return std::unique_ptr<Member>(new Member(*this, dir, &e));
}

SharedListings::Member::~Member() {
  std::shared_ptr<const FolderListing> dropped;  // freed after the lock is let go
  std::lock_guard lock(owner_.mu_);
  if (--entry_->members == 0) {
    owner_.entries_.erase(dir_);
    return;
  }
  if (entry_->members == 1) dropped = std::move(entry_->latest);
}

bool SharedListings::Member::shared() const {
  std::lock_guard lock(owner_.mu_);
  return entry_->members > 1;
}

std::shared_ptr<const FolderListing> SharedListings::Member::find(const FolderStamp& stamp) const {
  std::lock_guard lock(owner_.mu_);
  if (entry_->latest && entry_->latest->stamp == stamp) return entry_->latest;
  return nullptr;
}

void SharedListings::Member::publish(std::shared_ptr<const FolderListing> listing) {
  std::lock_guard lock(owner_.mu_);
  if (entry_->members > 1) entry_->latest.swap(listing);
}  // the listing replaced, if any, is freed here, after the lock

std::optional<PathStamp> SharedListings::Member::stamp_since(uint64_t generation) const {
  std::lock_guard lock(owner_.mu_);
  if (entry_->stamp_generation == 0 || entry_->stamp_generation < generation) return std::nullopt;
  return entry_->stamp;
}

void SharedListings::Member::note_stamp(const PathStamp& stamp, uint64_t generation) {
  std::lock_guard lock(owner_.mu_);
  if (generation < entry_->stamp_generation) return;  // a later look is kept
  entry_->stamp = stamp;
  entry_->stamp_generation = generation;
}

}  // namespace tern::store
