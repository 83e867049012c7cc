#include "it_support.hpp"
